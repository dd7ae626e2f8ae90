import ArgumentParser
import Foundation
import Kiln
import KilnRecipes

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
