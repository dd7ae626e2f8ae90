import Kiln

/// Escaping for HTML and XML text and attribute values: the HTML pages' titles and the JUnit
/// report share it (Kiln's ``XMLEscape``, which chart SVGs use too), so a character is treated
/// the same in all of them.
enum Markup {
    /// `text` with `&`, `<`, `>` and `"` escaped and characters XML 1.0 forbids dropped.
    static func escape(_ text: String) -> String { XMLEscape.text(text) }
}
