/// Normalises regenerated documents for `verify --check`: drops running times and replaces the
/// output of `nondeterministic` blocks (fenced as ```` ```text nondeterministic ````) and the
/// items they showed (between ``DisplayMarkdown``'s comment lines) with a placeholder, so two documents compare equal when they differ only in those.
public enum DocumentNormalizer {
    /// The normalised text of a document.
    public static func normalized(_ document: String) -> String {
        let parsed = CommonMark.parse(document)
        var drop = Set<Int>()  // 1-based lines to replace
        for fence in parsed.codeFences where fence.language == "text" && fence.infoWords.contains("nondeterministic") {
            if fence.endLine > fence.startLine + 1 { drop.formUnion((fence.startLine + 1)...(fence.endLine - 1)) }
        }
        // A nondeterministic block's shown items lie between two comment lines (with the block's
        // container prefix): only their place is compared.
        var inVariable = false
        for (i, line) in parsed.lines.enumerated() {
            let bare = line.drop { $0 == " " || $0 == ">" }
            if bare == DisplayMarkdown.variableStart { inVariable = true }
            if inVariable { drop.insert(i + 1) }
            if bare == DisplayMarkdown.variableEnd { inVariable = false }
        }
        var out: [String] = []
        for (i, line) in parsed.lines.enumerated() {
            if drop.contains(i + 1) {
                if !drop.contains(i) { out.append("<nondeterministic output>") }
                continue
            }
            if DocumentRenderer.TimeLine.matches(line.drop { $0 == " " || $0 == ">" }) {
                // Drop it with the blank line the renderer puts before it.
                if let last = out.last, last.allSatisfy({ $0 == " " || $0 == ">" }) { out.removeLast() }
                continue
            }
            out.append(line)
        }
        return out.joined(separator: "\n") + "\n"
    }

    /// The first line where two documents differ once normalised, as
    /// `committed: …` / `fresh: …` lines, or nil when they agree. `kiln verify --check` prints
    /// it so that a stale document in CI says what changed without a rerun.
    public static func firstDifference(committed: String, fresh: String) -> String? {
        let a = normalized(committed).split(separator: "\n", omittingEmptySubsequences: false)
        let b = normalized(fresh).split(separator: "\n", omittingEmptySubsequences: false)
        guard let i = (0..<min(a.count, b.count)).first(where: { a[$0] != b[$0] }) ?? (a.count == b.count ? nil : min(a.count, b.count)) else { return nil }
        func show(_ lines: [Substring]) -> String { i < lines.count ? String(lines[i].prefix(300)) : "(end of document)" }
        return "  committed: \(show(a))\n  fresh:     \(show(b))"
    }
}
