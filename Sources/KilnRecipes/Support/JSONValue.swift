import Kiln

/// A JSON value written the way Python's `json.dump(indent=1, sort_keys=True,
/// ensure_ascii=False)` writes it — nbformat's own format — so a notebook Kiln writes is byte
/// for byte what `nbformat.write` would write for it, and the same notebook always gives the
/// same bytes (keys sorted, no floats).
indirect enum JSONValue: Equatable, Sendable {
    case null
    case bool(Bool)
    case int(Int)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])

    /// The text, ending with a newline.
    var text: String {
        var out = ""
        write(into: &out, indent: 0)
        return out + "\n"
    }

    private func write(into out: inout String, indent: Int) {
        switch self {
        case .null: out += "null"
        case .bool(let b): out += b ? "true" : "false"
        case .int(let i): out += String(i)
        case .string(let s): out += jsonStringLiteral(s)
        case .array(let items):
            guard !items.isEmpty else { out += "[]"; return }
            out += "["
            for (i, item) in items.enumerated() {
                out += (i == 0 ? "\n" : ",\n") + String(repeating: " ", count: indent + 1)
                item.write(into: &out, indent: indent + 1)
            }
            out += "\n" + String(repeating: " ", count: indent) + "]"
        case .object(let members):
            guard !members.isEmpty else { out += "{}"; return }
            out += "{"
            // Python sorts keys by code point; Swift's String `<` compares by Unicode scalars' canonical order, so compare scalars.
            let keys = members.keys.sorted { $0.unicodeScalars.lexicographicallyPrecedes($1.unicodeScalars) }
            for (i, key) in keys.enumerated() {
                out += (i == 0 ? "\n" : ",\n") + String(repeating: " ", count: indent + 1)
                out += jsonStringLiteral(key)
                out += ": "
                members[key]!.write(into: &out, indent: indent + 1)
            }
            out += "\n" + String(repeating: " ", count: indent) + "}"
        }
    }
}
