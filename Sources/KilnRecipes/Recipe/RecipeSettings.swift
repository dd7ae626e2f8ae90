/// Recipe-wide settings, written anywhere in the recipe as an HTML comment (invisible when the
/// Markdown is rendered):
///
/// ```markdown
/// <!-- kiln: timeout=600 block-timeout=120 optimize=speed -->
/// ```
///
/// | Key | Meaning | Default |
/// |---|---|---|
/// | `timeout=SECONDS` | Limit for running the whole recipe program (compilation excluded). | the runner's `timeout` (600 s) |
/// | `block-timeout=SECONDS` | Limit for each block without its own `timeout=`. | none (only the recipe limit) |
/// | `optimize=none\|speed` | Compile the recipe program with `-Onone` (fast to compile) or `-O`. The engine itself is always optimised. | `none` |
///
/// Several comments may appear; later keys override earlier ones. Unknown keys are errors.
public struct RecipeSettings: Sendable, Equatable {
    /// Limit in seconds for running the whole recipe, or nil for the runner's default.
    public var timeout: Double?
    /// Default per-block limit in seconds, or nil.
    public var blockTimeout: Double?
    /// Compile with `-O` instead of `-Onone`.
    public var optimize = false

    /// Default settings.
    public init() {}

    /// The accepted keys, for messages.
    public static let keys = ["timeout", "block-timeout", "optimize"]

    /// Whether an HTML block is a settings comment (`<!-- kiln: … -->`).
    static func isSettingsComment(_ html: String) -> Bool {
        html.trimmingWhitespace().hasPrefix("<!-- kiln:")
    }

    /// Applies the `key=value` words of one settings comment.
    mutating func apply(comment html: String, file: String, line: Int) throws {
        var body = html.trimmingWhitespace().dropFirst("<!-- kiln:".count)
        guard body.hasSuffix("-->") else {
            throw RecipeError.badInput(file, line: line, "the kiln settings comment is not closed on its own",
                                       fix: "write it as `<!-- kiln: timeout=600 -->`.")
        }
        body = body.dropLast(3)
        for word in body.split(whereSeparator: { $0 == " " || $0 == "\n" || $0 == "\t" }) {
            // Keep empty pieces: "=" alone must be an unknown (empty) key, not an empty array.
            let parts = word.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
            let key = parts[0], value = parts.count > 1 ? parts[1] : ""
            switch key {
            case "timeout", "block-timeout":
                guard let seconds = Double(value), seconds > 0, seconds.isFinite else {
                    throw RecipeError.badInput(file, line: line, "invalid `\(word)` in the kiln settings",
                                               fix: "write a positive number of seconds, e.g. `\(key)=600`.")
                }
                if key == "timeout" { timeout = seconds } else { blockTimeout = seconds }
            case "optimize":
                guard value == "none" || value == "speed" else {
                    throw RecipeError.badInput(file, line: line, "invalid `\(word)` in the kiln settings",
                                               fix: "write `optimize=none` (-Onone) or `optimize=speed` (-O).")
                }
                optimize = value == "speed"
            default:
                let hint = closest(to: key, in: RecipeSettings.keys).map { "did you mean `\($0)`? " } ?? ""
                throw RecipeError.badInput(file, line: line, "unknown kiln setting `\(key)`",
                                           fix: "\(hint)Known settings: \(RecipeSettings.keys.joined(separator: ", ")).")
            }
        }
    }
}
