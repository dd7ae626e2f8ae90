import Foundation

/// The gallery's thumbnails, sphinx-gallery style: each recipe's first figure scaled to a
/// fixed width, as a small SVG (`images/x_thumbnail.svg`) that embeds the figure (PNG or SVG)
/// as a data URI — an image loaded by `<img>` may not fetch other files, and Markdown has no
/// width attribute — and a placeholder for recipes that show none.
public enum GalleryThumbnail {
    /// The thumbnails' width in pixels.
    static let width = 200.0

    /// `images/x_thumbnail.svg`.
    public static func name(recipe: String) -> String {
        OutputFileNames.figureFolder + "/" + recipe + "_thumbnail.svg"
    }

    /// The thumbnail of the figure `data` (PNG or SVG, told by its first bytes).
    public static func svg(figure data: Data) -> String {
        let isPNG = data.starts(with: [0x89, 0x50, 0x4E, 0x47])
        let (w, h) = (isPNG ? pngSize(data) : svgSize(String(decoding: data, as: UTF8.self))) ?? (640, 360)
        let height = (width * h / w).rounded()
        let uri = "data:\(isPNG ? "image/png" : "image/svg+xml");base64," + data.base64EncodedString()
        return """
            <svg xmlns="http://www.w3.org/2000/svg" width="\(Int(width))" height="\(Int(height))" viewBox="0 0 \(number(w)) \(number(h))">
            <image width="\(number(w))" height="\(number(h))" href="\(uri)"/>
            </svg>

            """
    }

    /// The thumbnail of a recipe without figures.
    public static let placeholder = """
        <svg xmlns="http://www.w3.org/2000/svg" width="200" height="113" viewBox="0 0 200 113" role="img" aria-label="no figure">
        <rect x="0.5" y="0.5" width="199" height="112" fill="#f6f8fa" stroke="#d0d7de"/>
        <text x="100" y="61" text-anchor="middle" font-family="DejaVu Sans, Helvetica, Arial, sans-serif" font-size="13" fill="#6e7781">no figure</text>
        </svg>

        """

    /// A PNG's size from its IHDR chunk (bytes 16–23, big-endian).
    static func pngSize(_ data: Data) -> (Double, Double)? {
        guard data.count >= 24 else { return nil }
        let bytes = [UInt8](data.prefix(24))
        func be(_ i: Int) -> Double { Double(bytes[i..<(i + 4)].reduce(UInt32(0)) { $0 << 8 | UInt32($1) }) }
        let (w, h) = (be(16), be(20))
        return w > 0 && h > 0 ? (w, h) : nil
    }

    /// An SVG's size from its root element's `viewBox`, else its `width` and `height` (plain
    /// numbers or pixels).
    static func svgSize(_ text: String) -> (Double, Double)? {
        guard let start = text.range(of: "<svg"), let end = text[start.upperBound...].firstIndex(of: ">") else { return nil }
        let tag = String(text[start.upperBound..<end])
        func attribute(_ name: String) -> String? {
            guard let r = tag.range(of: #"\s\#(name)\s*=\s*["']([^"']*)["']"#, options: .regularExpression) else { return nil }
            let quoted = tag[r].drop { $0 != "\"" && $0 != "'" }
            return String(quoted.dropFirst().dropLast())
        }
        if let box = attribute("viewBox")?.split(whereSeparator: { $0 == " " || $0 == "," }).compactMap({ Double($0) }),
           box.count == 4, box[2] > 0, box[3] > 0 {
            return (box[2], box[3])
        }
        let px = { (s: String?) in s.flatMap { Double($0.hasSuffix("px") ? String($0.dropLast(2)) : $0) } }
        if let w = px(attribute("width")), let h = px(attribute("height")), w > 0, h > 0 { return (w, h) }
        return nil
    }

    private static func number(_ v: Double) -> String {
        v == v.rounded() && abs(v) < 1e9 ? String(Int(v)) : String(v)
    }
}
