/// Percent-encoding of relative paths written into links (`my recipe (2).html` becomes
/// `my%20recipe%20%282%29.html`), and decoding of the ones recipes write, so that names with
/// spaces, brackets or non-ASCII letters survive Markdown link syntax and HTML alike.
enum PercentEncoding {
    /// `path` with every byte outside RFC 3986's unreserved set (letters, digits, `-._~`) and
    /// the path separator `/` percent-encoded, UTF-8 byte by byte. Brackets and parentheses are
    /// encoded too: Markdown would read them as the end of a link destination.
    static func encodePath(_ path: String) -> String {
        var out = ""
        for byte in path.utf8 {
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
                 UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "."),
                 UInt8(ascii: "_"), UInt8(ascii: "~"), UInt8(ascii: "/"):
                out.unicodeScalars.append(Unicode.Scalar(byte))
            default:
                let hex = String(byte, radix: 16, uppercase: true)
                out += "%" + (hex.count == 1 ? "0" + hex : hex)
            }
        }
        return out
    }

    /// `text` with `%XX` sequences decoded as UTF-8 bytes; nil when a sequence is malformed or
    /// the bytes are not UTF-8 (such a link names no file).
    static func decode(_ text: String) -> String? {
        var bytes: [UInt8] = []
        var utf8 = Array(text.utf8)[...]
        while let byte = utf8.popFirst() {
            guard byte == UInt8(ascii: "%") else {
                bytes.append(byte)
                continue
            }
            guard utf8.count >= 2, let value = UInt8(String(decoding: utf8.prefix(2), as: UTF8.self), radix: 16) else {
                return nil
            }
            bytes.append(value)
            utf8 = utf8.dropFirst(2)
        }
        return String(validating: bytes, as: UTF8.self)
    }
}
