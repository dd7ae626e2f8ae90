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
            try finish(try RecipeRunner(o, reporter: ConsoleReporter()).run(recipes.paths))
        }
    }
}
