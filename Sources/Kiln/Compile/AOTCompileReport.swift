/// What one compile did.
public struct AOTCompileReport: Sendable {
    /// The library's path.
    public var path: String
    /// True when the library came from the cache (no C compiler ran).
    public var cached: Bool
    /// The cache key (hex SHA-256).
    public var key: String
    /// Wall time of the whole compile, and of the C compiler alone (0 when cached).
    public var milliseconds: Double
    public var compilerMilliseconds: Double
    /// Autotune tables printed (empty without max-autotune or when all winners were cached).
    public var autotuneTables: [String]
    /// The algorithm chosen for each convolution step, by step name.
    public var choices: [(step: String, algorithm: ConvAlgorithm)]
    /// Each step's wall and CPU time, including one `cc …` per compiled file and the link.
    public var stages: [AOTCompileStage] = []
}
