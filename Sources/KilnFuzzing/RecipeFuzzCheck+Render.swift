import Foundation
import KilnRecipes

extension RecipeFuzzCheck {
    /// The regenerated document of a run in which the first runnable block failed (its error
    /// text is its own code) and every other printed its own code: it keeps every source line
    /// in order, and parsing it again gives the same Swift blocks with the same options.
    static func renderViolations(_ recipe: Recipe) -> [String] {
        var out: [String] = []
        let firstRunnable = recipe.runnableBlocks.first?.index
        let results = recipe.blocks.map { block -> BlockResult in
            guard block.runs else { return BlockResult(block: block, status: .shownOnly) }
            if block.index == firstRunnable {
                return BlockResult(block: block, status: .failed(.thrownError(block.code)), output: block.code)
            }
            return BlockResult(block: block, status: .passed, output: block.code)
        }
        let document = DocumentRenderer(includeTimes: false).markdown(for: RecipeExecution(recipe: recipe, blocks: results))
        let rendered = document.split(separator: "\n", omittingEmptySubsequences: false)
        var source = recipe.lines[...]
        while source.last == "" { source.removeLast() }
        var at = rendered.startIndex
        for (i, line) in source.enumerated() {
            guard let hit = rendered[at...].firstIndex(where: { $0 == line }) else {
                out.append("the regenerated document lost source line \(i + 1) \(String(reflecting: line))")
                break
            }
            at = hit + 1
        }

        do {
            let again = try Recipe(path: recipe.path, source: document)
            let before = recipe.blocks.map { [$0.code, "\($0.options)"] }
            let after = again.blocks.map { [$0.code, "\($0.options)"] }
            if before != after {
                out.append("the regenerated document parses to \(after.count) Swift blocks, not the recipe's \(before.count) (or they differ)")
            }
        } catch {
            out.append("the regenerated document does not parse as a recipe: \(error)")
        }
        _ = DocumentNormalizer.normalized(document)
        _ = CommonMark.renderHTML(recipe.source)
        if !HTMLPage.render(markdown: document, title: recipe.title).hasSuffix("</body>\n</html>\n") {
            out.append("the page of the regenerated document does not end its body and html")
        }
        for block in recipe.blocks where visibleText(SwiftHighlighter.html(block.code)) != showable(block.code) {
            out.append("the highlighted Swift of the block at line \(block.fenceLines.lowerBound) does not show its code exactly")
        }
        return out
    }

    /// The text HTML shows: tags dropped (the highlighter escapes every `<` of the code), the
    /// four entities it writes decoded.
    static func visibleText(_ html: String) -> String {
        // Unicode scalars, not Characters, as an HTML parser reads: a combining mark right after
        // a tag's ">" or an entity's ";" (code starting with U+0742) would otherwise fuse with it
        // into one Character, and the tag or entity would not end there.
        let entities: [(name: [Unicode.Scalar], text: Unicode.Scalar)] =
            [("lt;", "<"), ("gt;", ">"), ("quot;", "\""), ("amp;", "&")].map { (Array($0.0.unicodeScalars), $0.1) }
        let scalars = Array(html.unicodeScalars)
        var text = String.UnicodeScalarView(), inTag = false, i = 0
        while i < scalars.count {
            let c = scalars[i]
            i += 1
            if inTag { inTag = c != ">"; continue }
            if c == "<" { inTag = true; continue }
            if c == "&", let e = entities.first(where: { scalars[i...].starts(with: $0.name) }) {
                text.append(e.text)
                i += e.name.count
                continue
            }
            text.append(c)
        }
        return String(text)
    }

    /// `code` without the characters HTML cannot show (``Markup``'s rule: controls other than
    /// tab, newline and carriage return; U+FFFE, U+FFFF).
    static func showable(_ code: String) -> String {
        var out = String.UnicodeScalarView()
        for s in code.unicodeScalars where (s.value >= 0x20 || s == "\t" || s == "\n" || s == "\r") && s.value != 0xFFFE && s.value != 0xFFFF {
            out.append(s)
        }
        return String(out)
    }
}
