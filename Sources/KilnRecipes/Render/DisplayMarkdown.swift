import Foundation
import Kiln

/// How a block's shown items (``DisplayItem``) appear in its document: an image as a link to its
/// figure file in `images/` (``OutputFileNames/figure(block:content:extension:)``), a table as a
/// GFM table, text in a ```` ```text ```` block. Cells and alt texts are escaped, so what a
/// program shows stays text: it cannot add links, HTML or emphasis to the document.
enum DisplayMarkdown {
    /// The lines around the items of a `nondeterministic` block: ``DocumentNormalizer`` replaces
    /// what lies between them, as it replaces such a block's output. HTML comments, so readers
    /// of the document and its HTML do not see them.
    static let variableStart = "<!-- nondeterministic figures: verify --check ignores them -->"
    static let variableEnd = "<!-- end of nondeterministic figures -->"

    /// The Markdown lines for `result`'s items, each item after a blank line.
    static func lines(for result: BlockResult, names: OutputFileNames) -> [String] {
        guard !result.displays.isEmpty else { return [] }
        var out: [String] = []
        for item in result.displays {
            out.append("")
            switch item {
            case .image(let data, let format, let alt):
                let name = names.figure(block: result.block.index + 1, content: data, extension: format.rawValue)
                // The alt text's first line: a chart's text continues with its data, which the
                // notebook keeps as text/plain but would make a long link here.
                let firstLine = alt.split(separator: "\n", maxSplits: 1).first.map(String.init) ?? ""
                out.append("![\(escape(firstLine))](\(name))")
            case .table(let table, _):
                out += self.table(table)
            case .text(let text):
                out += TextFence.lines(text, info: "text")
            }
        }
        guard result.block.options.nondeterministic else { return out }
        return ["", variableStart] + out + ["", variableEnd]
    }

    /// The figure files of `result`'s images, by output-folder name (a figure shown twice once).
    static func figures(for result: BlockResult, names: OutputFileNames) -> [(name: String, data: Data)] {
        var seen = Set<String>()
        return result.displays.compactMap { item in
            guard let figure = item.figure else { return nil }
            let name = names.figure(block: result.block.index + 1, content: figure.data, extension: figure.format.rawValue)
            return seen.insert(name).inserted ? (name, figure.data) : nil
        }
    }

    /// `table` as a GFM table (short rows padded; a table without headers gets numbered ones).
    static func table(_ table: DisplayBundle.Table) -> [String] {
        let columns = max(table.headers.count, table.rows.map(\.count).max() ?? 0, 1)
        func row(_ cells: [String]) -> String {
            "| " + (0..<columns).map { $0 < cells.count ? escape(cells[$0]) : "" }.joined(separator: " | ") + " |"
        }
        let headers = table.headers.isEmpty ? (1...columns).map(String.init) : table.headers
        return [row(headers), "|" + String(repeating: "---|", count: columns)] + table.rows.map(row)
    }

    /// `text` as inline Markdown that shows as itself: one line, every ASCII punctuation mark
    /// that Markdown or GFM could read as syntax backslash-escaped.
    static func escape(_ text: String) -> String {
        var out = ""
        for c in text {
            if c == "\n" || c == "\r" || c == "\t" { out.append(" "); continue }
            if "\\`*_[]<>|&!~#".contains(c) { out.append("\\") }
            out.append(c)
        }
        return out
    }
}

/// A fenced block of `text`, fenced longer than any backtick run inside it.
enum TextFence {
    static func lines(_ text: String, info: String) -> [String] {
        var longest = 0, run = 0
        for c in text {
            run = c == "`" ? run + 1 : 0
            longest = max(longest, run)
        }
        let fence = String(repeating: "`", count: max(3, longest + 1))
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        if lines.last == "" { lines.removeLast() }
        return [fence + info] + lines + [fence]
    }
}
