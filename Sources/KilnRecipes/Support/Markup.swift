/// Escaping for HTML and XML text and attribute values: the HTML pages' titles and the JUnit
/// report share it, so a character is treated the same in both.
enum Markup {
    /// `text` with `&`, `<`, `>` and `"` escaped; characters XML 1.0 forbids (controls other
    /// than tab, newline and carriage return; U+FFFE, U+FFFF) are dropped, as HTML cannot show
    /// them either.
    static func escape(_ text: String) -> String {
        var out = ""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "\n", "\t", "\r": out.unicodeScalars.append(scalar)
            default:
                if scalar.value >= 0x20 && scalar.value != 0xFFFE && scalar.value != 0xFFFF { out.unicodeScalars.append(scalar) }
            }
        }
        return out
    }
}
