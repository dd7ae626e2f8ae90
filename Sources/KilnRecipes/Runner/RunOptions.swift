import Foundation

/// Settings of a ``RecipeRunner`` (the `kiln run` / `kiln verify` flags and the environment).
public struct RunOptions: Sendable {
    /// Where documents, the gallery and the cache manifest go (`--output`, default `output`).
    public var outputDirectory = "output"
    /// Re-run recipes even when the cache says they are up to date (`--force`).
    public var force = false
    /// How many recipes run at once, each in its own child process (`--jobs`, default 1).
    public var jobs = 1
    /// Run-time limit in seconds for a recipe that sets no `<!-- kiln: timeout=… -->`
    /// (`--timeout`, default 600), and the limit for compiling its program unless
    /// ``compileTimeout`` is set. A recipe's own setting wins for running it.
    public var timeout: Double = 600
    /// Limit in seconds for compiling one recipe program; nil: ``timeout``.
    public var compileTimeout: Double?
    /// Only recipes whose path matches this regular expression (`--filter`).
    public var filter: String?
    /// Run only this shard's recipes (`--shard i/n`); a sharded `run` writes its gallery
    /// entries to `output/.shards/i-of-n.json` instead of the gallery (``RecipeRunner/mergeShards(_:)``).
    public var shard: Shard?
    /// Parameter values for every selected recipe (`-p name=value`; see ``RecipeParameter``).
    public var parameters: [String: String] = [:]
    /// Write running times into documents (false for `--no-times`: byte-identical documents).
    public var includeTimes = true
    /// The directory holding `libKiln.so` and `Modules/` (default: the running executable's).
    public var kilnBuildDirectory = KilnBuild.defaultDirectory()
    /// Identity of the Kiln build for the cache (default: ``KilnBuild/identity(of:)``).
    public var buildIdentity: String?
    /// The compiler (default: ``SwiftToolchain/locate(environment:)``).
    public var toolchain: SwiftToolchain?
    /// The recipe programs' environment (default: this process's). Set extra variables here
    /// (e.g. `OPENBLAS_CORETYPE`); `swiftc` also runs with it.
    public var environment = ProcessInfo.processInfo.environment
    /// Extra `swiftc` arguments for recipe programs.
    public var extraCompilerFlags: [String] = []
    /// Bytes of output kept per block.
    public var outputLimitPerBlock = 1 << 20

    /// Default options.
    public init() {}
}
