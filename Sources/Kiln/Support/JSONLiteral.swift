/// A JSON string literal for `s`, escaped as serde_json and Python's `json` (with
/// `ensure_ascii=False`) escape: quote, backslash, `\n \r \t \b \f`, other control characters
/// as `\u00xx`; everything else kept as written. The safetensors writer and the recipe runner's
/// notebooks use it, so both write what their reference implementations write.
public func jsonStringLiteral(_ s: String) -> String {
    var out = "\""
    for u in s.unicodeScalars {
        switch u {
        case "\"": out += "\\\""
        case "\\": out += "\\\\"
        case "\n": out += "\\n"
        case "\r": out += "\\r"
        case "\t": out += "\\t"
        case "\u{08}": out += "\\b"
        case "\u{0C}": out += "\\f"
        case "\u{00}"..."\u{1F}":
            let hex = String(u.value, radix: 16)
            out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
        default: out.unicodeScalars.append(u)
        }
    }
    return out + "\""
}
