import CCmarkGFM
import Foundation

/// The bridge to cmark-gfm: the only file of the package that imports `CCmarkGFM`.
///
/// Parsing and rendering always use the GitHub extensions `table`, `strikethrough`, `autolink`
/// and `tasklist`, so recipes, regenerated documents and the gallery render alike.
public enum CommonMark {
    /// The GFM extensions enabled for parsing and rendering.
    public static let extensionNames = ["table", "strikethrough", "autolink", "tasklist"]

    private static let registered: Bool = {
        cmark_gfm_core_extensions_ensure_registered()
        return true
    }()

    /// Parses `text` as GitHub-flavoured Markdown into a Swift tree with source lines.
    public static func parse(_ text: String) -> MarkdownDocument {
        withParsedTree(text) { root, _ in
            MarkdownDocument(root: copyTree(root), lines: splitLines(text))
        }
    }

    /// A code block (fenced or indented) offered to the `codeBlock` hook of
    /// ``renderHTML(_:codeBlock:)``.
    public struct CodeBlock: Sendable, Equatable {
        /// The info string after the opening fence (`swift no-run`), empty for indented blocks.
        public var info: String
        /// The code, each line ending with a newline.
        public var literal: String
        /// Line of the opening fence (1-based).
        public var startLine: Int
    }

    /// Renders `markdown` to an HTML fragment with the GFM extensions.
    ///
    /// Raw HTML in the source is omitted (cmark's safe default), so HTML comments such as the
    /// `<!-- kiln: … -->` settings never reach the page. Table cells are aligned with
    /// `style="text-align: …"` (the `align` attribute is obsolete in HTML5). `codeBlock` may
    /// return the HTML of a code block itself (highlighted code, an output block); nil keeps
    /// cmark's `<pre><code>`. Its HTML is inserted as given, so it must escape the code.
    ///
    /// `link` may give a link's destination another one (`other.md` → `other.html`), and
    /// `headingID` an id for each heading from its text, set on an anchor prepended to the
    /// heading (`<a class="anchor" id="…" href="#…">`); it must return HTML-safe text.
    public static func renderHTML(_ markdown: String, link: ((String) -> String?)? = nil, headingID: ((String) -> String)? = nil,
                                  codeBlock: ((CodeBlock) -> String?)? = nil) -> String {
        withParsedTree(markdown) { root, parser in
            if let codeBlock { replaceCodeBlocks(in: root, codeBlock) }
            if link != nil || headingID != nil { rewriteLinksAndHeadings(root, link: link, headingID: headingID) }
            let options = CMARK_OPT_DEFAULT | CMARK_OPT_TABLE_PREFER_STYLE_ATTRIBUTES
            guard let html = cmark_render_html(root, options, cmark_parser_get_syntax_extensions(parser)) else {
                return ""
            }
            defer { free(html) }
            return String(cString: html)
        }
    }

    /// Replaces each code block `hook` renders with a custom block holding its HTML (cmark's
    /// renderer writes a custom block's text as it is, whatever the safe option says).
    private static func replaceCodeBlocks(in root: OpaquePointer, _ hook: (CodeBlock) -> String?) {
        var blocks: [OpaquePointer] = []
        guard let iterator = cmark_iter_new(root) else { return }
        // Collected first: replacing nodes while iterating would invalidate the iterator.
        while true {
            let event = cmark_iter_next(iterator)
            if event == CMARK_EVENT_DONE { break }
            if event == CMARK_EVENT_ENTER, let node = cmark_iter_get_node(iterator), cmark_node_get_type(node) == CMARK_NODE_CODE_BLOCK {
                blocks.append(node)
            }
        }
        cmark_iter_free(iterator)
        for node in blocks {
            let block = CodeBlock(info: cmark_node_get_fence_info(node).map { String(cString: $0) } ?? "",
                                  literal: cmark_node_get_literal(node).map { String(cString: $0) } ?? "",
                                  startLine: Int(cmark_node_get_start_line(node)))
            guard let html = hook(block), let custom = cmark_node_new(CMARK_NODE_CUSTOM_BLOCK) else { continue }
            cmark_node_set_on_enter(custom, html)
            if cmark_node_replace(node, custom) != 0 {
                cmark_node_free(node)
            } else {
                cmark_node_free(custom)
            }
        }
    }

    /// Gives links the destinations `link` returns and headings the anchors `headingID` names.
    private static func rewriteLinksAndHeadings(_ root: OpaquePointer, link rewrite: ((String) -> String?)?,
                                                headingID: ((String) -> String)?) {
        var links: [OpaquePointer] = [], headings: [OpaquePointer] = []
        guard let iterator = cmark_iter_new(root) else { return }
        while true {
            let event = cmark_iter_next(iterator)
            if event == CMARK_EVENT_DONE { break }
            guard event == CMARK_EVENT_ENTER, let node = cmark_iter_get_node(iterator) else { continue }
            switch cmark_node_get_type(node) {
            case CMARK_NODE_LINK: links.append(node)
            case CMARK_NODE_HEADING: headings.append(node)
            default: break
            }
        }
        cmark_iter_free(iterator)
        for link in links {
            guard let url = cmark_node_get_url(link).map({ String(cString: $0) }),
                  let destination = rewrite?(url) else { continue }
            cmark_node_set_url(link, destination)
        }
        guard let headingID else { return }
        for heading in headings {
            let id = headingID(plainText(heading))
            guard let anchor = cmark_node_new(CMARK_NODE_CUSTOM_INLINE) else { continue }
            // A custom inline is written as given (cmark's safe mode drops only raw HTML).
            cmark_node_set_on_enter(anchor, "<a class=\"anchor\" id=\"\(id)\" href=\"#\(id)\" aria-hidden=\"true\"></a>")
            if cmark_node_prepend_child(heading, anchor) == 0 { cmark_node_free(anchor) }
        }
    }

    /// The text of `node`'s inline descendants (text and code spans), as GitHub slugs it.
    private static func plainText(_ node: OpaquePointer) -> String {
        var text = ""
        var child = cmark_node_first_child(node)
        while let c = child {
            let type = cmark_node_get_type(c)
            if type == CMARK_NODE_TEXT || type == CMARK_NODE_CODE {
                text += cmark_node_get_literal(c).map { String(cString: $0) } ?? ""
            } else {
                text += plainText(c)
            }
            child = cmark_node_next(c)
        }
        return text
    }

    private static func withParsedTree<R>(_ text: String, _ body: (OpaquePointer, OpaquePointer) -> R) -> R {
        _ = registered
        guard let parser = cmark_parser_new(CMARK_OPT_DEFAULT) else { fatalError("cmark_parser_new failed") }
        defer { cmark_parser_free(parser) }
        for name in extensionNames {
            if let ext = cmark_find_syntax_extension(name) {
                cmark_parser_attach_syntax_extension(parser, ext)
            }
        }
        var bytes = Array(text.utf8)
        bytes.withUnsafeMutableBufferPointer { buf in
            buf.baseAddress!.withMemoryRebound(to: CChar.self, capacity: max(buf.count, 1)) { p in
                cmark_parser_feed(parser, p, buf.count)
            }
        }
        guard let root = cmark_parser_finish(parser) else { fatalError("cmark_parser_finish failed") }
        defer { cmark_node_free(root) }
        return body(root, parser)
    }

    private static func copyTree(_ node: OpaquePointer) -> MarkdownNode {
        let type = cmark_node_get_type_string(node).map { String(cString: $0) } ?? "unknown"
        var children: [MarkdownNode] = []
        var child = cmark_node_first_child(node)
        while let c = child {
            children.append(copyTree(c))
            child = cmark_node_next(c)
        }
        var fence: MarkdownNode.Fence?
        var info: String?
        var literal: String?
        if type == "code_block" {
            var length: Int32 = 0, offset: Int32 = 0
            var character: CChar = 0
            if cmark_node_get_fenced(node, &length, &offset, &character) != 0 {
                fence = .init(length: Int(length), offset: Int(offset),
                              character: Character(UnicodeScalar(UInt8(bitPattern: character))))
                info = cmark_node_get_fence_info(node).map { String(cString: $0) }
            }
        }
        if ["code_block", "html_block", "text", "code", "html_inline"].contains(type) {
            literal = cmark_node_get_literal(node).map { String(cString: $0) }
        }
        return MarkdownNode(
            type: type,
            startLine: Int(cmark_node_get_start_line(node)),
            endLine: Int(cmark_node_get_end_line(node)),
            literal: literal,
            fenceInfo: info,
            fence: fence,
            headingLevel: type == "heading" ? Int(cmark_node_get_heading_level(node)) : 0,
            destination: type == "link" || type == "image" ? cmark_node_get_url(node).map { String(cString: $0) } : nil,
            children: children)
    }

    /// Splits text into lines the way cmark counts them (`\n`, `\r\n` or `\r` end a line).
    static func splitLines(_ text: String) -> [String] {
        var lines: [String] = []
        var current = ""
        var previousCR = false
        for scalar in text.unicodeScalars {
            if scalar == "\n" {
                if !previousCR { lines.append(current) }
                current = ""
                previousCR = false
            } else if scalar == "\r" {
                lines.append(current)
                current = ""
                previousCR = true
            } else {
                current.unicodeScalars.append(scalar)
                previousCR = false
            }
        }
        if !current.isEmpty { lines.append(current) }
        return lines
    }
}
