import Foundation
import Testing
@testable import KilnRecipes

/// A runner writing into `output` with the test build of Kiln.
enum SiteRunner {
    static func runner(output: String, filter: String? = nil) -> RecipeRunner {
        var options = TestEnvironment.runOptions(output: output, identity: "site-build")
        options.filter = filter
        return RecipeRunner(options)
    }
}

/// The site as the runner writes it: assets copied at their relative paths and checked by
/// `verify --check`, pages linked previous/next in the gallery's order, kept right when the
/// gallery changes around a cached recipe.
@Suite(.enabled(if: TestEnvironment.canExecute, "needs libKiln.so and Modules/ next to the test bundle"))
struct SiteRunnerTests {
    let root = TestEnvironment.temporaryDirectory()
    var recipes: String { root + "/recipes" }
    var output: String { root + "/output" }

    init() throws {
        let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/site").path
        try FileManager.default.copyItem(atPath: fixtures, toPath: recipes)
        try FileManager.default.removeItem(atPath: recipes + "/third.md")
    }

    func read(_ name: String) -> String? {
        FileManager.default.contents(atPath: output + "/" + name).map { String(decoding: $0, as: UTF8.self) }
    }

    @Test func assetsAreCopiedAndVerified() throws {
        let first = try SiteRunner.runner(output: output).run([recipes])
        #expect(first.exitCode == 0, "\(first.text)")
        #expect(FileManager.default.contents(atPath: output + "/img/red dot.png")
                == FileManager.default.contents(atPath: recipes + "/img/red dot.png"))
        #expect(read("data/table (1).csv") == "batch,ms\n1,0.5\n8,2.5\n")
        let page = try #require(read("first steps.html"))
        #expect(page.contains("<img src=\"img/red%20dot.png\" alt=\"a red dot\" />"))
        #expect(page.contains("<a href=\"second%20%5Bb%5D.html\">other recipe</a>"))
        #expect(page.contains("<a class=\"next\" rel=\"next\" href=\"second%20%5Bb%5D.html\">Second, with brackets in its name →</a>"))
        #expect(read("second [b].html")?.contains("<a class=\"prev\" rel=\"prev\" href=\"first%20steps.html\">← First steps</a>") == true)
        #expect(read("index.html")?.contains("<a href=\"first%20steps.html\">First steps</a>") == true)
        #expect(try SiteRunner.runner(output: output).verify([recipes], check: true).exitCode == 0)

        // An asset edited after the run: verify says which copy is stale, run copies it again
        // though the recipe itself is cached.
        try Data("changed".utf8).write(to: URL(fileURLWithPath: recipes + "/data/table (1).csv"))
        let stale = try SiteRunner.runner(output: output).verify([recipes], check: true)
        #expect(stale.exitCode == 71 && stale.text.contains("\(output)/data/table (1).csv differs from"), "\(stale.text)")
        let again = try SiteRunner.runner(output: output).run([recipes])
        #expect(again.cached == 2 && read("data/table (1).csv") == "changed")
    }

    @Test func cachedPagesFollowANewNeighbour() throws {
        #expect(try SiteRunner.runner(output: output).run([recipes]).exitCode == 0)
        #expect(read("second [b].html")?.contains("rel=\"next\"") == false)
        try "# Zed\n\n```swift\nprint(1)\n```\n".write(toFile: recipes + "/zed.md", atomically: true, encoding: .utf8)
        let summary = try SiteRunner.runner(output: output).run([recipes])
        #expect(summary.cached == 2 && summary.executed == 1)
        #expect(read("second [b].html")?.contains("<a class=\"next\" rel=\"next\" href=\"zed.html\">Zed →</a>") == true)
        // The refreshed page is what the cache records: the next run skips everything.
        #expect(try SiteRunner.runner(output: output).run([recipes]).cached == 3)
        #expect(try SiteRunner.runner(output: output).verify([recipes], check: true).exitCode == 0)
        // A filtered check sees the whole gallery's links.
        #expect(try SiteRunner.runner(output: output, filter: "zed").verify([recipes], check: true).exitCode == 0)
    }

    @Test func twoRecipesCannotWriteOneAssetFromDifferentFiles() throws {
        try FileManager.default.createDirectory(atPath: recipes + "/sub/img", withIntermediateDirectories: true)
        try "# Sub\n\n![dot](img/red%20dot.png)\n".write(toFile: recipes + "/sub/sub.md", atomically: true, encoding: .utf8)
        try Data("another picture".utf8).write(to: URL(fileURLWithPath: recipes + "/sub/img/red dot.png"))
        let error = #expect(throws: RecipeError.self) { try SiteRunner.runner(output: output).run([recipes]) }
        #expect(error?.failureClass == .badInput && error?.message.contains("would both write output/img/red dot.png") == true,
                "\(String(describing: error))")
        #expect(!FileManager.default.fileExists(atPath: output + "/img"))
        // The same bytes in both places are one figure.
        try FileManager.default.removeItem(atPath: recipes + "/sub/img/red dot.png")
        try FileManager.default.copyItem(atPath: recipes + "/img/red dot.png", toPath: recipes + "/sub/img/red dot.png")
        #expect(try SiteRunner.runner(output: output).run([recipes]).exitCode == 0)
    }

    @Test func escapingAssetMakesTheRecipeInvalid() throws {
        try "# Bad\n\n![x](../../etc/passwd)\n".write(toFile: recipes + "/bad.md", atomically: true, encoding: .utf8)
        let summary = try SiteRunner.runner(output: output).run([recipes])
        #expect(summary.exitCode == 65)
        #expect(summary.text.contains("\(recipes)/bad.md:3: image ../../etc/passwd leaves the recipe's folder"), "\(summary.text)")
    }
}
