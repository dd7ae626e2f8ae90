import Kiln

/// An error of the recipe runner: a malformed recipe, a failing block, stale output or an
/// unwritable output directory. The ``failureClass`` picks the CLI's exit code.
public struct RecipeError: KilnError, Equatable {
    /// Which exit code the CLI uses for it (`.badInput`, `.recipe`, `.stale`, `.output`, …).
    public var failureClass: FailureClass
    /// One line saying what went wrong and where (`recipes/x.md:12: …`).
    public var message: String
    /// A line starting with "Suggested fix:", or nil.
    public var suggestion: String?

    /// Creates an error; `suggestion` should start with "Suggested fix:".
    public init(_ failureClass: FailureClass, _ message: String, suggestion: String? = nil) {
        self.failureClass = failureClass
        self.message = message
        self.suggestion = suggestion
    }

    public var description: String { message }

    /// A malformed recipe, located at `file:line`.
    static func badInput(_ file: String, line: Int?, _ message: String, fix: String? = nil) -> RecipeError {
        let location = line.map { "\(file):\($0)" } ?? file
        return RecipeError(.badInput, "\(location): \(message)", suggestion: fix.map { "Suggested fix: \($0)" })
    }
}

/// Levenshtein distance, used to suggest the option or key someone probably meant.
func editDistance(_ a: String, _ b: String) -> Int {
    let a = Array(a), b = Array(b)
    if a.isEmpty { return b.count }
    if b.isEmpty { return a.count }
    var previous = Array(0...b.count)
    for i in 1...a.count {
        var current = [i] + Array(repeating: 0, count: b.count)
        for j in 1...b.count {
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
        }
        previous = current
    }
    return previous[b.count]
}

/// The candidate closest to `word`, if it is close enough to be a plausible typo.
func closest(to word: String, in candidates: [String]) -> String? {
    let scored = candidates.map { ($0, editDistance(word.lowercased(), $0)) }.min { $0.1 < $1.1 }
    guard let (best, distance) = scored, distance <= max(2, best.count / 3) else { return nil }
    return best
}
