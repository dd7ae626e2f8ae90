import Foundation

/// One item a program shows, as a Jupyter-style MIME bundle: the same content in one or more
/// representations, keyed by MIME type, each a string (binary types base64-encoded, as in a
/// notebook's `display_data`). A front end picks the richest type it understands: the recipe
/// runner writes an image file, a Markdown table or a notebook output; a terminal prints
/// `text/plain`.
///
/// The types Kiln's ``show(image:alt:)``, ``show(table:headers:)`` and ``show(chart:)`` produce:
/// ``png`` (base64), ``svg`` (text), ``table`` (`{"headers": [...], "rows": [[...]]}`) and
/// ``plainText`` (always present: the fallback and the image's alt text).
public struct DisplayBundle: Sendable, Equatable {
    /// `image/png`, base64-encoded.
    public static let png = "image/png"
    /// `image/svg+xml`, the SVG text.
    public static let svg = "image/svg+xml"
    /// `application/vnd.kiln.table+json`: a table as JSON, `{"headers": [...], "rows": [[...]]}`.
    public static let table = "application/vnd.kiln.table+json"
    /// `text/plain`: what a terminal shows; for an image, its alt text.
    public static let plainText = "text/plain"

    /// The representations, by MIME type.
    public var data: [String: String]

    /// A bundle of `data`.
    public init(_ data: [String: String]) {
        self.data = data
    }

    /// The bundle as JSON (`{"data": {...}}`, sorted keys): the same input gives the same bytes.
    public func json() -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return (try? encoder.encode(Wire(data: data))) ?? Data("{\"data\":{}}".utf8)
    }

    /// Decodes ``json()``'s format; throws a `DecodingError` on anything else.
    public init(json: Data) throws {
        self.data = try JSONDecoder().decode(Wire.self, from: json).data
    }

    private struct Wire: Codable {
        var data: [String: String]
    }
}

extension DisplayBundle {
    /// The table a ``table`` representation holds.
    public struct Table: Codable, Sendable, Equatable {
        /// Column headings.
        public var headers: [String]
        /// Rows of cells (a short row is padded with empty cells where it is shown).
        public var rows: [[String]]

        /// A table of `rows` under `headers`.
        public init(headers: [String], rows: [[String]]) {
            self.headers = headers
            self.rows = rows
        }

        /// The table as aligned plain text (columns padded to their widest cell).
        public var plainText: String {
            let columns = max(headers.count, rows.map(\.count).max() ?? 0)
            let all = [headers] + rows
            let widths = (0..<columns).map { c in all.map { c < $0.count ? $0[c].count : 0 }.max() ?? 0 }
            func line(_ cells: [String]) -> String {
                (0..<columns).map { c in
                    let cell = c < cells.count ? cells[c] : ""
                    return cell + String(repeating: " ", count: widths[c] - cell.count)
                }.joined(separator: "  ").replacingOccurrences(of: #"\s+$"#, with: "", options: .regularExpression)
            }
            let rule = widths.map { String(repeating: "-", count: $0) }.joined(separator: "  ")
            return ([line(headers), rule] + rows.map(line)).joined(separator: "\n")
        }
    }

    /// A bundle showing `table`: its JSON and its plain text.
    public static func table(_ table: Table) -> DisplayBundle {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let json = (try? encoder.encode(table)).map { String(decoding: $0, as: UTF8.self) } ?? "{}"
        return DisplayBundle([Self.table: json, plainText: table.plainText])
    }

    /// A bundle showing the PNG or SVG image `bytes` (told apart by content, not by name) with
    /// `alt` as its text. Throws ``DisplayError`` for anything else.
    public static func image(_ bytes: Data, alt: String, source: String = "the image data") throws(DisplayError) -> DisplayBundle {
        guard bytes.count <= DisplayError.maximumImageBytes else { throw .tooLarge(source, bytes: bytes.count) }
        let pngSignature: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]
        let text = alt.isEmpty ? "image" : alt
        if bytes.starts(with: pngSignature) {
            return DisplayBundle([png: bytes.base64EncodedString(), plainText: text])
        }
        if let svgText = String(data: bytes, encoding: .utf8), Self.looksLikeSVG(svgText) {
            return DisplayBundle([svg: svgText, plainText: text])
        }
        throw .notAnImage(source)
    }

    /// Whether `text` is an SVG document: an `<svg` element near the start (after an optional
    /// byte order mark, XML declaration, comments or doctype).
    public static func looksLikeSVG(_ text: String) -> Bool {
        var rest = Substring(text.prefix(65_536))
        while true {
            rest = rest.drop { $0 == "\u{FEFF}" || $0.isWhitespace }
            if rest.hasPrefix("<svg") { return true }
            let skips = [("<?xml", "?>"), ("<!--", "-->"), ("<!DOCTYPE", ">")]
            guard let (_, close) = skips.first(where: { rest.hasPrefix($0.0) }),
                  let end = rest.range(of: close) else { return false }
            rest = rest[end.upperBound...]
        }
    }
}
