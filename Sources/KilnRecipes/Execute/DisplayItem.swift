import Foundation
import Kiln

/// An item a block showed (Kiln's ``DisplayBundle``), read back by the runner and checked: the
/// runner trusts nothing the program sends, so an image must be a PNG or an SVG document, a
/// table must decode, and anything unreadable or over the limits becomes a ``note`` saying so.
public enum DisplayItem: Sendable, Equatable {
    /// A PNG or SVG image (its bytes) with its alt text.
    case image(Data, format: ImageFormat, alt: String)
    /// A table.
    case table(DisplayBundle.Table, text: String)
    /// Plain text: a bundle with nothing richer, or why an item was dropped.
    case text(String)

    /// The image formats a document can link.
    public enum ImageFormat: String, Sendable {
        case png, svg
    }

    /// The largest display file read: an image at ``DisplayError/maximumImageBytes`` in base64
    /// plus its JSON.
    static let maximumFileBytes = DisplayError.maximumImageBytes / 3 * 4 + 65_536
    /// The most items kept per block; later ones are dropped with a note.
    static let maximumPerBlock = 64

    /// The item in the display file at `path`, or a note why it cannot be shown.
    static func load(path: String) -> DisplayItem {
        guard let handle = FileHandle(forReadingAtPath: path) else { return .text("(display item not found: \(path))") }
        defer { try? handle.close() }
        let data = (try? handle.read(upToCount: maximumFileBytes + 1)) ?? Data()
        guard data.count <= maximumFileBytes else {
            return .text("(display item dropped: larger than \(maximumFileBytes) bytes)")
        }
        return decode(data)
    }

    /// The item `json` (``DisplayBundle/json()``) holds: the richest representation that checks out.
    static func decode(_ json: Data) -> DisplayItem {
        guard let bundle = try? DisplayBundle(json: json) else { return .text("(display item dropped: not a display bundle)") }
        let text = bundle.data[DisplayBundle.plainText] ?? ""
        if let base64 = bundle.data[DisplayBundle.png] {
            guard let bytes = Data(base64Encoded: base64), let item = try? DisplayBundle.image(bytes, alt: text),
                  item.data[DisplayBundle.png] != nil else { return .text("(display item dropped: its image/png is not a PNG image)") }
            return .image(bytes, format: .png, alt: text)
        }
        if let svg = bundle.data[DisplayBundle.svg] {
            guard DisplayBundle.looksLikeSVG(svg) else { return .text("(display item dropped: its image/svg+xml is not an SVG document)") }
            return .image(Data(svg.utf8), format: .svg, alt: text)
        }
        if let table = bundle.data[DisplayBundle.table] {
            guard let decoded = try? JSONDecoder().decode(DisplayBundle.Table.self, from: Data(table.utf8)) else {
                return .text("(display item dropped: its table is not {\"headers\": [...], \"rows\": [[...]]})")
            }
            return .table(decoded, text: text.isEmpty ? decoded.plainText : text)
        }
        if bundle.data[DisplayBundle.plainText] != nil { return .text(text) }
        return .text("(display item dropped: none of its types is shown: \(bundle.data.keys.sorted().joined(separator: ", ")))")
    }

    /// The bytes of a figure file, for an image.
    var figure: (data: Data, format: ImageFormat)? {
        if case .image(let data, let format, _) = self { return (data, format) }
        return nil
    }
}
