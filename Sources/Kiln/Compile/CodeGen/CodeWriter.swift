/// A small writer for generated C: lines at the current indentation, blocks that indent.
struct CodeWriter {
    private(set) var text = ""
    private var depth = 0
    /// Spaces per level.
    static let indent = "    "

    /// Appends one line (an empty string gives an empty line, without trailing spaces).
    mutating func line(_ s: String = "") {
        text += s.isEmpty ? "\n" : String(repeating: Self.indent, count: depth) + s + "\n"
    }

    /// Appends `open`, the body one level deeper, then `close`.
    mutating func block(_ open: String, close: String = "}", _ body: (inout CodeWriter) -> Void) {
        line(open)
        depth += 1
        body(&self)
        depth -= 1
        line(close)
    }

    /// A C string literal for `s` (escapes quotes, backslashes, control characters).
    static func cString(_ s: String) -> String {
        var out = "\""
        for u in s.unicodeScalars {
            switch u {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\t": out += "\\t"
            default:
                if u.value < 0x20 || u.value > 0x7e {
                    for b in String(u).utf8 { out += "\\" + String(b, radix: 8).leftPadded(to: 3) }
                } else {
                    out.unicodeScalars.append(u)
                }
            }
        }
        return out + "\""
    }

    /// A C string literal split into chunks of at most `width` characters per line.
    static func cStringLines(_ s: String, width: Int = 96) -> [String] {
        var chunks: [String] = []
        var current = ""
        for ch in s {
            current.append(ch)
            if current.count >= width { chunks.append(current); current = "" }
        }
        if !current.isEmpty || chunks.isEmpty { chunks.append(current) }
        return chunks.map(cString)
    }
}

extension String {
    func leftPadded(to n: Int, with c: Character = "0") -> String {
        count >= n ? self : String(repeating: c, count: n - count) + self
    }
}
