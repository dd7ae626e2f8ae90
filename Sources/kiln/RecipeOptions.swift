import ArgumentParser
import Foundation
import Kiln
import KilnRecipes

/// Options shared by `kiln run` and `kiln verify`.
struct RecipeOptions: ParsableArguments {
    @Argument(help: "Recipe files or folders (default: recipes/).")
    var paths: [String] = []

    @Option(help: "Recipes run at the same time (each in its own process).")
    var jobs: Int = 1

    @Option(help: "Seconds a recipe's program may take to compile, and to run when the recipe sets no timeout of its own.")
    var timeout: Double = 600

    @Option(help: "Only recipes whose path matches this regular expression.")
    var filter: String?

    @Option(help: ArgumentHelp("Only shard i of n (e.g. 2/4): a deterministic split balanced by the recorded running times; `run` writes output/.shards/i-of-n.json for `kiln gallery merge`.", valueName: "i/n"))
    var shard: String?

    func validate() throws {
        guard jobs >= 1 else { throw ValidationError("--jobs must be at least 1") }
        guard timeout > 0 else { throw ValidationError("--timeout must be positive") }
        if let shard, Shard(shard) == nil {
            throw ValidationError("--shard must be i/n with 1 <= i <= n (e.g. --shard 1/2), not '\(shard)'")
        }
    }

    /// Runner options; recipe programs get the BLAS core the CLI chose (see BLASRelaunch).
    func runOptions() -> RunOptions {
        var o = RunOptions()
        o.jobs = jobs
        o.timeout = timeout
        o.filter = filter
        o.shard = shard.flatMap(Shard.init)
        var env = ProcessInfo.processInfo.environment
        if let core = BLAS.recommendedCoreType(environment: env) { env["OPENBLAS_CORETYPE"] = core }
        o.environment = env
        return o
    }
}

/// Prints the summary and exits with the summary's code.
func finish(_ summary: RunSummary) throws {
    print(summary.text)
    if let e = summary.error { FileHandle.standardError.write(Data("error: \(e.fullDescription)\n".utf8)) }
    if summary.exitCode != 0 { throw ExitCode(summary.exitCode) }
}
