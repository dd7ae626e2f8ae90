/// One node of a parsed Markdown document, copied out of cmark-gfm into plain Swift values.
///
/// Lines are 1-based and refer to the source text given to ``CommonMark/parse(_:)``.
public struct MarkdownNode: Sendable, Equatable {
    /// cmark-gfm's name for the node type: `document`, `heading`, `paragraph`, `code_block`,
    /// `html_block`, `text`, `code`, `table`, `list`, `item`, …
    public var type: String
    /// First source line of the node (1-based).
    public var startLine: Int
    /// Last source line of the node (1-based, inclusive).
    public var endLine: Int
    /// The literal text of leaf nodes (code block contents, HTML, text, inline code).
    public var literal: String?
    /// The info string of a fenced code block (`swift expect-error`), else nil.
    public var fenceInfo: String?
    /// For fenced code blocks: the fence's length, indentation and character (`` ` `` or `~`).
    public var fence: Fence?
    /// The level of a heading (1–6), else 0.
    public var headingLevel: Int
    /// The destination of a `link` or `image` as written (`img/x.png`), else nil.
    public var destination: String? = nil
    /// The child nodes in document order.
    public var children: [MarkdownNode]

    /// How a fenced code block was opened.
    public struct Fence: Sendable, Equatable {
        /// Number of fence characters in the opening fence.
        public var length: Int
        /// Spaces of indentation before the opening fence.
        public var offset: Int
        /// The fence character, `` ` `` or `~`.
        public var character: Character
    }

    /// The concatenated text of this node's `text` and `code` descendants (e.g. a heading's title).
    public var plainText: String {
        if type == "text" || type == "code" { return literal ?? "" }
        if type == "softbreak" || type == "linebreak" { return " " }
        return children.map(\.plainText).joined()
    }

    /// This node and all its descendants in document (pre-)order.
    public var allNodes: [MarkdownNode] {
        var out: [MarkdownNode] = []
        func visit(_ n: MarkdownNode) {
            out.append(n)
            n.children.forEach(visit)
        }
        visit(self)
        return out
    }
}

/// A parsed Markdown document: the node tree plus the source lines it was parsed from.
public struct MarkdownDocument: Sendable {
    /// The `document` node.
    public var root: MarkdownNode
    /// The source split into lines (without line terminators); `lines[0]` is line 1.
    public var lines: [String]

    /// Every fenced code block in document order, with its line range and closing state.
    public var codeFences: [CodeFence] {
        let nodes = root.allNodes
        // A fence cut off by its container's end "ends" on the line that ended the container,
        // where another block starts; a real closing fence line starts no block.
        let blockStarts = Set(nodes.map(\.startLine))
        return nodes.compactMap { node in
            guard node.type == "code_block", let fence = node.fence else { return nil }
            return CodeFence(node: node, fence: fence, lines: lines, endLineStartsBlock: blockStarts.contains(node.endLine))
        }
    }

    /// Every HTML block in document order.
    public var htmlBlocks: [MarkdownNode] { root.allNodes.filter { $0.type == "html_block" } }

    /// The plain text of the first heading, if any.
    public var firstHeading: String? {
        root.allNodes.first { $0.type == "heading" }.map { $0.plainText.trimmingWhitespace() }
    }
}

/// A fenced code block located in its source.
public struct CodeFence: Sendable, Equatable {
    /// The language word of the info string (`swift`), or "" when there is none.
    public var language: String
    /// The words after the language (`expect-error`, `timeout=5`).
    public var infoWords: [String]
    /// The code inside the fence, ending with a newline unless empty.
    public var code: String
    /// Line of the opening fence (1-based).
    public var startLine: Int
    /// Line of the closing fence, or the last line of the document for an unclosed fence.
    public var endLine: Int
    /// False when the fence runs to the end of its container without a closing fence.
    public var isClosed: Bool
    /// The container prefix of the opening line (`> ` in a quote, spaces in a list item).
    public var containerPrefix: String

    init(node: MarkdownNode, fence: MarkdownNode.Fence, lines: [String], endLineStartsBlock: Bool = false) {
        let words = (node.fenceInfo ?? "").split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
        language = words.first ?? ""
        infoWords = Array(words.dropFirst())
        code = node.literal ?? ""
        startLine = node.startLine
        endLine = node.endLine
        let opening = node.startLine - 1 < lines.count ? lines[node.startLine - 1] : ""
        containerPrefix = String(opening.prefix { $0 == " " || $0 == ">" || $0 == "\t" || $0 == "-" || $0 == "*" || $0 == "+" || $0.isNumber || $0 == "." || $0 == ")" })
        // cmark does not say whether a closing fence was found. Closed means: the last line
        // looks like a closing fence, is not code (an unclosed fence runs to the end of the
        // document, its last line included: a 4-space-indented ``` there is code) and starts
        // no other block (a fence in a quote or list ends where a later line ends the container).
        if node.endLine <= node.startLine || node.endLine > lines.count || endLineStartsBlock {
            isClosed = false
        } else {
            isClosed = CodeFence.isClosingFence(lines[node.endLine - 1], fence: fence)
                && CodeFence.lineCount(of: code) == node.endLine - node.startLine - 1
        }
    }

    /// Whether `line` (with container markers) closes a fence opened by `fence`.
    static func isClosingFence(_ line: String, fence: MarkdownNode.Fence) -> Bool {
        let body = line.drop { $0 == " " || $0 == ">" || $0 == "\t" }
        let run = body.prefix { $0 == fence.character }
        guard run.count >= fence.length else { return false }
        return body.dropFirst(run.count).allSatisfy { $0 == " " || $0 == "\t" }
    }

    /// First line of the code (the line after the opening fence).
    public var codeStartLine: Int { startLine + 1 }
    /// Number of lines of code inside the fence.
    public var codeLineCount: Int { CodeFence.lineCount(of: code) }

    static func lineCount(of code: String) -> Int {
        code.isEmpty ? 0 : code.split(separator: "\n", omittingEmptySubsequences: false).count - (code.hasSuffix("\n") ? 1 : 0)
    }
}
