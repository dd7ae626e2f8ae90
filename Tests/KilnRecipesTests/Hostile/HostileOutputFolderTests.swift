import Foundation
import Testing
@testable import KilnRecipes

/// An output folder that is, or lies inside, a recipes folder: `kiln run recipes --output
/// recipes` would replace `recipes/x.md` with its document, and `--output recipes/out` would
/// make every later run read the documents as recipes. Decision: refused before anything runs
/// (usage, exit 64), whatever the spelling (compared after resolving `.`, `..` and symbolic
/// links); so is a recipe whose own document would replace it.
@Suite(.enabled(if: TestEnvironment.canExecute, "needs libKiln.so and swiftc"))
final class HostileOutputFolderTests {
    let root = TestEnvironment.temporaryDirectory()
    var recipes: String { root + "/recipes" }
    let precious = "# Precious\n\n```swift\nprint(\"hand-written\")\n```\n"

    init() throws {
        try FileManager.default.createDirectory(atPath: recipes, withIntermediateDirectories: true)
        try precious.write(toFile: recipes + "/precious.md", atomically: true, encoding: .utf8)
        try FileManager.default.createSymbolicLink(atPath: root + "/link", withDestinationPath: recipes)
    }

    deinit { try? FileManager.default.removeItem(atPath: root) }

    func run(_ paths: [String], output: String) -> (error: RecipeError?, summary: RunSummary?) {
        var options = RunOptions()
        options.outputDirectory = output
        options.kilnBuildDirectory = TestEnvironment.buildDirectory!
        options.toolchain = TestEnvironment.toolchain
        options.buildIdentity = "output-folder"
        do {
            return (nil, try RecipeRunner(options).run(paths))
        } catch {
            return (error as? RecipeError, nil)
        }
    }

    @Test(arguments: ["recipes", "recipes/", "recipes/out", "recipes/./out/deeper", "link", "link/out", "recipes/../recipes"])
    func outputInsideTheRecipesFolderIsRefused(output: String) throws {
        let result = run([recipes], output: root + "/" + output)
        let error = try #require(result.error, "ran: \(result.summary?.text ?? "")")
        #expect(error.failureClass == .usage && error.failureClass.exitCode == 64)
        #expect(error.message.contains("lies inside the recipes folder \(recipes)"), "\(error.message)")
        #expect(error.suggestion?.hasPrefix("Suggested fix: ") == true)
        #expect(try String(contentsOfFile: recipes + "/precious.md", encoding: .utf8) == precious)
        #expect(try FileManager.default.contentsOfDirectory(atPath: recipes) == ["precious.md"])
    }

    @Test func aRecipeInTheOutputFolderIsRefused() throws {
        let result = run([recipes + "/precious.md"], output: root + "/link")
        let error = try #require(result.error, "ran: \(result.summary?.text ?? "")")
        #expect(error.failureClass == .usage)
        #expect(error.message.contains("would be replaced by its own document"), "\(error.message)")
        #expect(try String(contentsOfFile: recipes + "/precious.md", encoding: .utf8) == precious)
    }

    @Test func outputBesideTheRecipesFolderIsFine() throws {
        let result = run([recipes], output: root + "/recipes-out")
        #expect(result.error == nil && result.summary?.exitCode == 0, "\(String(describing: result.error))")
    }
}
