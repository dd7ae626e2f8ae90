/// What the regenerated document needs to know about blocks that do not end where a reader
/// might think: the last block may run to the end of the document, and a fence may sit in a
/// list item, where a blank line would change the list.
extension MarkdownDocument {
    /// The line that ends the document's last top-level block when it is still open at the end
    /// of the document, else nil: a fence never closed (valid CommonMark: the rest of the
    /// document is its code) or an HTML block of kinds 1–5 whose end condition never came
    /// (`<style`, `<!--`, `<?`, `<!X`, `<![CDATA[`; kinds 6 and 7 end at a blank line). Text
    /// appended after such a document (the regenerated document's footer) would otherwise
    /// become part of that block; the line ends it and changes nothing before it.
    public var lineClosingTheLastBlock: String? {
        guard let last = root.children.last else { return nil }
        if last.type == "code_block", let fence = last.fence {
            let codeFence = CodeFence(node: last, fence: fence, lines: lines)
            return codeFence.isClosed ? nil : String(repeating: fence.character, count: fence.length)
        }
        // The literal's lines, not the node's end line: cmark counts trailing blank lines in.
        guard last.type == "html_block", let literal = last.literal,
              let first = literal.split(separator: "\n", maxSplits: 1).first,
              let kind = Self.htmlEndCondition(firstLine: first) else { return nil }
        let lastLine = literal.split(separator: "\n").last { !$0.allSatisfy(\.isWhitespace) }?.lowercased() ?? ""
        return kind.ends.contains(where: { lastLine.contains($0) }) ? nil : kind.closer
    }

    /// CommonMark's HTML block kinds 1–5: the strings that end one (any of them) and the line
    /// this code writes to end it.
    static func htmlEndCondition(firstLine: Substring) -> (ends: [String], closer: String)? {
        let line = firstLine.drop { $0 == " " }.lowercased()
        for tag in ["script", "pre", "style", "textarea"] where line.hasPrefix("<" + tag) {
            let after = line.dropFirst(tag.count + 1).first
            if after == nil || after == ">" || after == " " || after == "\t" {
                return (["</script>", "</pre>", "</style>", "</textarea>"], "</\(tag)>")
            }
        }
        if line.hasPrefix("<!--") { return (["-->"], "-->") }
        if line.hasPrefix("<?") { return (["?>"], "?>") }
        if line.hasPrefix("<![cdata[") { return (["]]>"], "]]>") }
        if line.hasPrefix("<!"), let c = line.dropFirst(2).first, c.isASCII, c.isLetter { return ([">"], ">") }
        return nil
    }

    /// The opening lines of fenced code blocks inside list items.
    public var fenceLinesInListItems: Set<Int> {
        var out = Set<Int>()
        func visit(_ node: MarkdownNode, inItem: Bool) {
            if node.type == "code_block", inItem { out.insert(node.startLine) }
            for child in node.children { visit(child, inItem: inItem || node.type == "item") }
        }
        visit(root, inItem: false)
        return out
    }
}
