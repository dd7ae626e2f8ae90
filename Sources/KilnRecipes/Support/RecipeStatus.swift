/// How a recipe ended in a run. The runner's reports, the cache manifest, the gallery and the
/// JUnit report all speak of it, so it lives below all of them.
public enum RecipeStatus: String, Sendable, Codable {
    /// Every block behaved as declared.
    case passed
    /// A block failed.
    case failed
    /// The recipe could not be parsed (unknown option, unclosed fence, unreadable).
    case invalid
}
