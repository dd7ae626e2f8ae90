/// A Swift string literal for `s` that compiles back to exactly `s`: quotes, backslashes,
/// newlines and other control characters escaped, everything else kept as written. Used where
/// Kiln prints pasteable Swift (`Dim("batch", …)` in messages and fixes) and where the recipe
/// runner generates a program (`#sourceLocation(file: "…")`).
public func swiftStringLiteral(_ s: String) -> String {
    var out = "\""
    // Unicode scalars, not Characters: "\r\n" is one Character but needs two escapes.
    for scalar in s.unicodeScalars {
        switch scalar {
        case "\"": out += "\\\""
        case "\\": out += "\\\\"
        case "\n": out += "\\n"
        case "\r": out += "\\r"
        case "\t": out += "\\t"
        case "\0": out += "\\0"
        case "\u{01}"..."\u{1F}", "\u{7F}":
            // A raw control character would end or corrupt a single-line literal.
            out += "\\u{\(String(scalar.value, radix: 16))}"
        default: out.unicodeScalars.append(scalar)
        }
    }
    return out + "\""
}
