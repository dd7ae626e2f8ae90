import ArgumentParser
import Foundation
import Kiln
import KilnRecipes

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

    @Option(name: .customShort("p"), help: ArgumentHelp("Set a recipe parameter declared in its ```swift parameters block (repeatable).", valueName: "name=value"))
    var parameter: [String] = []

    @Flag(help: "After running, keep watching: rerun when a recipe (or Kiln's library or this executable) changes, rewriting its documents. Ctrl-C stops.")
    var watch = false

    func validate() throws {
        for p in parameter where !p.contains("=") || p.hasPrefix("=") {
            throw ValidationError("-p takes name=value (e.g. -p batch=8), not '\(p)'")
        }
    }

    func run() throws {
        try reportingErrors {
            var o = recipes.runOptions()
            o.outputDirectory = output
            o.force = force
            o.includeTimes = !noTimes
            for p in parameter {
                let parts = p.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
                o.parameters[String(parts[0])] = String(parts[1])
            }
            RecipeRunner.installInterruptHandlers()
            let runner = RecipeRunner(o, reporter: ConsoleReporter())
            guard watch else { return try finish(try runner.run(recipes.paths)) }
            runner.watch(recipes.paths) { result in
                switch result {
                case .success(let summary):
                    print(summary.text)
                    if let e = summary.error { FileHandle.standardError.write(Data("error: \(e.fullDescription)\n".utf8)) }
                case .failure(let error):
                    FileHandle.standardError.write(Data("error: \((error as? any KilnError)?.fullDescription ?? "\(error)")\n".utf8))
                }
                print("Watching \(recipes.paths.isEmpty ? "recipes" : recipes.paths.joined(separator: " ")) for changes (Ctrl-C to stop).")
                fflush(nil)  // every stream: the summary reaches a pipe or log while the watch goes on
            }
        }
    }
}
