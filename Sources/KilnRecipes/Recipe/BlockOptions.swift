/// The options of a Swift block, written as words after `swift` in the fence's info string:
///
/// ````markdown
/// ```swift expect-error timeout=30
/// try model.run(badInput)
/// ```
/// ````
///
/// | Option | Meaning |
/// |---|---|
/// | `expect-error` | The block must throw. The error's description is its output; the recipe continues. A block that completes is a failure ("expected an error but the block succeeded"). Declarations inside it are local to the block (it is wrapped in `do { } catch { }`). |
/// | `no-run` | The block is shown but neither compiled nor run. |
/// | `hide-output` | The block runs but its output is not written to the document. |
/// | `timeout=SECONDS` | The block is killed (with the whole recipe) after this many seconds. |
/// | `nondeterministic` | Its output differs between runs (timings, tuning tables): `verify --check` ignores its output text. |
/// | `parameters` | The recipe's parameters with their defaults (`let batch = 1`), which `kiln run -p batch=8` replaces (see ``RecipeParameter``). |
public struct BlockOptions: Sendable, Equatable {
    /// The block must throw an error.
    public var expectError = false
    /// The block is shown only.
    public var noRun = false
    /// The block's output is not rendered.
    public var hideOutput = false
    /// Per-block time limit in seconds.
    public var timeout: Double?
    /// `verify --check` ignores the block's output text.
    public var nondeterministic = false
    /// The block declares the recipe's parameters.
    public var parameters = false

    /// No options.
    public init() {}

    /// The spellings accepted in info strings, for messages and suggestions.
    public static let known = ["expect-error", "no-run", "hide-output", "timeout=SECONDS", "nondeterministic", "parameters"]

    /// Parses the words after `swift`; `file` and `line` locate errors.
    public init(words: [String], file: String, line: Int) throws {
        for word in words {
            switch word {
            case "expect-error": expectError = true
            case "no-run": noRun = true
            case "hide-output": hideOutput = true
            case "nondeterministic": nondeterministic = true
            case "parameters": parameters = true
            default:
                if word.hasPrefix("timeout=") {
                    let value = word.dropFirst("timeout=".count)
                    guard let seconds = Double(value), seconds > 0, seconds.isFinite else {
                        throw RecipeError.badInput(file, line: line, "invalid block timeout `\(word)`",
                                                   fix: "write a positive number of seconds, e.g. `timeout=30`.")
                    }
                    timeout = seconds
                } else {
                    let names = BlockOptions.known.map { $0.replacingOccurrences(of: "=SECONDS", with: "") }
                    let guess = closest(to: word.split(separator: "=").first.map(String.init) ?? word, in: names)
                    let hint = guess.map { "did you mean `\($0 == "timeout" ? "timeout=SECONDS" : $0)`? " } ?? ""
                    throw RecipeError.badInput(file, line: line, "unknown block option `\(word)`",
                                               fix: "\(hint)Known options: \(BlockOptions.known.joined(separator: ", ")).")
                }
            }
        }
        if parameters && (noRun || expectError) {
            throw RecipeError.badInput(file, line: line, "a `parameters` block must run: it cannot be `no-run` or `expect-error`",
                                       fix: "drop `no-run`/`expect-error` from the parameters block.")
        }
        if noRun && expectError {
            throw RecipeError.badInput(file, line: line, "a block cannot be both `no-run` and `expect-error`",
                                       fix: "keep `expect-error` to run it and require an error, or `no-run` to only show it.")
        }
    }
}
