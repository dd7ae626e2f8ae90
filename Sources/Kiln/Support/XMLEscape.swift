/// Escaping for XML and HTML text and attribute values, shared by everything Kiln writes as
/// markup (chart SVGs here; the recipe runner's HTML pages and JUnit reports), so a character
/// is treated the same in all of them.
public enum XMLEscape {
    /// `text` with `&`, `<`, `>` and `"` escaped; characters XML 1.0 forbids (controls other
    /// than tab, newline and carriage return; U+FFFE, U+FFFF) are dropped, as HTML cannot show
    /// them either.
    public static func text(_ text: String) -> String {
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
