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

    @Option(help: "Seconds a recipe may run when it sets no timeout of its own.")
    var timeout: Double = 600

    @Option(help: "Only recipes whose path matches this regular expression.")
    var filter: String?

    func validate() throws {
        guard jobs >= 1 else { throw ValidationError("--jobs must be at least 1") }
        guard timeout > 0 else { throw ValidationError("--timeout must be positive") }
    }

    /// Runner options; recipe programs get the BLAS core the CLI chose (see BLASRelaunch).
    func runOptions() -> RunOptions {
        var o = RunOptions()
        o.jobs = jobs
        o.timeout = timeout
        o.filter = filter
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

/// `kiln run`: execute recipes and regenerate their documents.
struct RunCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run Markdown recipes and regenerate their documents into output/.",
        discussion: """
            Each recipe's ```swift blocks run in order in one program (import Kiln implied); \
            output/x.md gets every block's output and running time, plus x.html, x.swift, \
            index.md/html and execution_times.md. Unchanged recipes are skipped (cached).
            """
    )

    @OptionGroup var recipes: RecipeOptions

    @Option(help: "Where the regenerated documents go.")
    var output: String = "output"

    @Flag(help: "Re-run recipes even when cached.")
    var force = false

    @Flag(help: "Leave running times out, so documents are byte-identical across runs.")
    var noTimes = false

    func run() throws {
        try reportingErrors {
            var o = recipes.runOptions()
            o.outputDirectory = output
            o.force = force
            o.includeTimes = !noTimes
            RecipeRunner.installInterruptHandlers()
            try finish(try RecipeRunner(o, reporter: ConsoleReporter()).run(recipes.paths))
        }
    }
}

/// `kiln verify`: run recipes for CI without touching output/.
struct VerifyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Run recipes without writing output/; fail unless every block behaved as declared.",
        discussion: "--check also fails when output/ is stale against recipes/ (run `kiln run` and commit)."
    )

    @OptionGroup var recipes: RecipeOptions

    @Option(help: "Write a JUnit XML report here (one test case per recipe).")
    var junit: String?

    @Flag(help: "Also fail when the documents in output/ are out of date.")
    var check = false

    @Option(help: "The documents --check compares against.")
    var output: String = "output"

    func run() throws {
        try reportingErrors {
            if let junit {
                let recipePaths = (try? RecipeDiscovery.find(recipes.paths)) ?? []
                try OutputChecks.check("--junit", junit, inputs: recipePaths.map { ("the recipe", $0) },
                                       example: OutputChecks.sibling("junit.xml", of: junit))
            }
            var o = recipes.runOptions()
            o.outputDirectory = output
            RecipeRunner.installInterruptHandlers()
            try finish(try RecipeRunner(o, reporter: ConsoleReporter()).verify(recipes.paths, junit: junit, check: check))
        }
    }
}
