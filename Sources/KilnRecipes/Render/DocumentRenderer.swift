import Foundation

/// Renders the regenerated document `output/x.md` of an executed recipe.
///
/// The document is the recipe's source, line for line, with:
/// - a first line `<!-- generated from recipes/x.md by kiln run; do not edit -->`;
/// - after each Swift block: its source lines in the recipe (`*recipes/x.md, lines 6-9*`), its
///   output in a ```` ```text ```` block (none when empty or `hide-output`), a failure in place
///   (`**Failed** at recipes/x.md:7:` and the reason in a ```` ```text ```` block), or a
///   not-run note, the items it showed (``DisplayMarkdown``: images linked from `images/`,
///   tables), then `Running time: 0.123 s`;
/// - at the end `Total running time of the recipe: (0 minutes 1.234 seconds)` and links to the
///   recipe source (`x.source.md`), its code as one Swift file (`x.swift`) and its notebook
///   (`x.ipynb`).
///
/// Times are left out with `includeTimes: false`, which makes the document a pure function of
/// the recipe and its outputs (byte-identical across runs). A failed recipe's document is
/// written the same way, with the failure in place: it is the truth about the recipe.
public struct DocumentRenderer: Sendable {
    /// Whether to write running times.
    public var includeTimes: Bool

    /// Creates a renderer.
    public init(includeTimes: Bool = true) {
        self.includeTimes = includeTimes
    }

    /// The Markdown document for `execution`.
    public func markdown(for execution: RecipeExecution) -> String {
        let recipe = execution.recipe
        let names = OutputFileNames(name: recipe.name)
        let results = Dictionary(uniqueKeysWithValues: execution.blocks.map { ($0.block.fenceLines.upperBound, $0) })
        var out: [String] = ["<!-- generated from \(recipe.path) by kiln run; do not edit -->", ""]
        let parsed = CommonMark.parse(recipe.lines.joined(separator: "\n") + "\n")
        let inListItems = parsed.fenceLinesInListItems
        for (i, line) in recipe.lines.enumerated() {
            out.append(line)
            if let result = results[i + 1] {
                let next = (i + 1 < recipe.lines.count ? recipe.lines[i + 1] : "").drop { $0 == " " || $0 == ">" || $0 == "\t" }
                let compact = inListItems.contains(result.block.fenceLines.lowerBound)
                let blankAfter = !next.isEmpty && !(compact && Self.interruptsParagraph(next))
                out += section(for: result, recipe: recipe, blankAfter: blankAfter, compact: compact)
            }
        }
        // The footer must not become part of a block the recipe leaves open at its end.
        if let closer = parsed.lineClosingTheLastBlock { out.append(closer) }
        while out.last == "" { out.removeLast() }
        out.append("")
        if includeTimes {
            out += [TimeLine.total(execution.seconds), ""]
        }
        out += ["[Download the recipe source: \(names.source)](\(PercentEncoding.encodePath(names.source)))", "",
                "[Download Swift source code: \(names.swift)](\(PercentEncoding.encodePath(names.swift)))", "",
                "[Download Jupyter notebook: \(names.notebook)](\(PercentEncoding.encodePath(names.notebook)))"]
        return out.joined(separator: "\n") + "\n"
    }

    /// The running-time lines of a document. The renderer writes them and
    /// ``DocumentNormalizer`` recognises them to drop them, so both sides use this one spelling.
    enum TimeLine {
        private static let blockLine = (prefix: "Running time: ", suffix: " s")
        private static let totalLine = (prefix: "Total running time of the recipe: (", suffix: " seconds)")

        /// `Running time: 0.123 s`, after each block.
        static func block(_ seconds: Double) -> String {
            blockLine.prefix + formatSeconds(seconds) + blockLine.suffix
        }

        /// `Total running time of the recipe: (0 minutes 1.234 seconds)`, at the end.
        static func total(_ seconds: Double) -> String {
            let minutes = Int(seconds / 60)
            return totalLine.prefix + "\(minutes) minutes \(formatSeconds(seconds - Double(minutes) * 60))" + totalLine.suffix
        }

        /// Whether `line` (without its container prefix) is one of the two.
        static func matches(_ line: Substring) -> Bool {
            [blockLine, totalLine].contains { line.hasPrefix($0.prefix) && line.hasSuffix($0.suffix) }
        }
    }

    /// The lines inserted after a block's closing fence, each with the block's container prefix.
    /// `blankAfter` ends the section with a blank line when the source continues right after
    /// the fence (so the time line does not run into the next paragraph). `compact` (a fence in
    /// a list item) separates the parts without blank lines, which would make a tight list
    /// loose: a fence needs none, and two paragraphs in a row are joined by a hard line break.
    private func section(for result: BlockResult, recipe: Recipe, blankAfter: Bool, compact: Bool) -> [String] {
        let block = result.block
        var parts: [[String]] = [["*\(recipe.path), lines \(block.fenceLines.lowerBound)-\(block.fenceLines.upperBound)*"]]
        let nondeterministic = block.options.nondeterministic
        if block.options.parameters && !recipe.injectedParameters.isEmpty {
            let values = recipe.injectedParameters.sorted { $0.key < $1.key }.map { "`\($0.key)=\($0.value)`" }
            parts.append(["*Parameters given with `kiln run -p`:* " + values.joined(separator: ", ")])
        }
        switch result.status {
        case .shownOnly:
            break
        case .notRun:
            parts.append(["*Not run: an earlier block failed.*"])
        case .passed:
            if !block.options.hideOutput { parts.append(textBlock(result.output, nondeterministic: nondeterministic)) }
            parts.append(displayPart(result, recipe: recipe))
        case .failed(let failure):
            if !block.options.hideOutput { parts.append(textBlock(result.output, nondeterministic: nondeterministic)) }
            parts.append(displayPart(result, recipe: recipe))
            parts.append(["**Failed** at \(recipe.path):\(result.failureLine ?? block.fenceLines.lowerBound):"])
            parts.append(textBlock(failure.details, nondeterministic: false))
        }
        if includeTimes, let seconds = result.seconds {
            parts.append([TimeLine.block(seconds)])
        }
        var body: [String] = []
        var previousIsParagraph = false
        for part in parts where !part.isEmpty {
            let isParagraph = !part[0].hasPrefix("`")
            if !compact {
                body.append("")
            } else if previousIsParagraph && isParagraph {
                body[body.count - 1] += "\\"
            }
            body += part
            previousIsParagraph = isParagraph
        }
        if blankAfter { body.append("") }
        let prefix = block.containerPrefix.map { $0 == ">" ? ">" : " " }.reduce("") { $0 + String($1) }
        return body.map { line in
            let full = prefix + line
            return line.isEmpty ? String(full.reversed().drop { $0 == " " }.reversed()) : full
        }
    }

    /// Whether `line` (without container prefixes) starts a block that ends a paragraph before
    /// it: a list item, a fence, a heading, a quote, a thematic break or an HTML comment.
    static func interruptsParagraph(_ line: Substring) -> Bool {
        let digits = line.prefix { $0.isASCII && $0.isNumber }
        if !digits.isEmpty, let mark = line.dropFirst(digits.count).first, mark == "." || mark == ")" { return true }
        return ["- ", "* ", "+ ", "```", "~~~", "#", "<!--"].contains { line.hasPrefix($0) } || ["-", "*", "+"].contains(String(line))
    }

    /// A ```` ```text ```` block for `text` (nothing when empty), fenced longer than any
    /// backtick run inside it.
    private func textBlock(_ text: String, nondeterministic: Bool) -> [String] {
        guard !text.isEmpty else { return [] }
        return TextFence.lines(text, info: "text" + (nondeterministic ? " nondeterministic" : ""))
    }

    /// The items `result` showed (figures, tables) as one part of its section.
    private func displayPart(_ result: BlockResult, recipe: Recipe) -> [String] {
        Array(DisplayMarkdown.lines(for: result, names: OutputFileNames(name: recipe.name)).drop { $0.isEmpty })
    }

    /// The figure files `execution`'s blocks showed, by output-folder name (`images/…`).
    public func figures(for execution: RecipeExecution) -> [(name: String, data: Data)] {
        let names = OutputFileNames(name: execution.recipe.name)
        var seen = Set<String>()
        return execution.blocks.flatMap { DisplayMarkdown.figures(for: $0, names: names) }.filter { seen.insert($0.name).inserted }
    }
}
