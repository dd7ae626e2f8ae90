import Foundation
@testable import KilnFuzzing
import Testing
@testable import KilnRecipes

/// Replays the recipe fuzzer's seed corpus and regressions (`fuzz/corpus/recipe`,
/// `fuzz/regressions/recipe`) through the fuzzer's own entry function, and checks that its
/// invariants do catch a broken plan.
@Suite struct RecipeFuzzRegressionTests {
    static let fuzzDirectory = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("fuzz")

    static func inputs(_ folder: String) -> [URL] {
        FuzzTarget.inputFiles(under: fuzzDirectory.appendingPathComponent(folder).appendingPathComponent("recipe"))
    }

    @Test func corpusAndRegressionsReplayWithoutViolations() throws {
        let corpus = Self.inputs("corpus"), regressions = Self.inputs("regressions")
        #expect(corpus.count >= 10, "seed corpus missing under \(Self.fuzzDirectory.path)")
        for file in corpus + regressions {
            let violations = FuzzTarget.recipe.violations(for: try Data(contentsOf: file))
            #expect(violations.isEmpty, "\(file.path): \(violations)")
        }
    }

    /// The highlighted-code check reads HTML by Unicode scalars: a combining mark right after a
    /// tag's `>` or an entity's `;` ends neither for a String's Characters.
    @Test func visibleTextReadsScalarsNotCharacters() {
        #expect(RecipeFuzzCheck.visibleText("<span class=\"str\">&quot;a&quot;</span>\u{0742}b") == "\"a\"\u{0742}b")
        #expect(RecipeFuzzCheck.visibleText("&lt;\u{0301}x&amp;lt;") == "<\u{0301}x&lt;")
    }

    @Test func invariantsCatchABrokenPlan() throws {
        let good = try Recipe(path: "recipes/x.md", source: "# X\n\n```swift\nprint(1)\n```\n")
        #expect(RecipeFuzzCheck.violations(in: good).isEmpty)

        var outside = good
        outside.blocks[0].fenceLines = 3...9
        #expect(RecipeFuzzCheck.violations(in: outside).contains { $0.contains("fence lines outside") })

        var foreign = good
        foreign.blocks[0].code = "print(2)\n"
        #expect(RecipeFuzzCheck.violations(in: foreign).contains { $0.contains("is not from the source line") })

        var unterminated = good
        unterminated.blocks[0].code = "print(1)"
        #expect(RecipeFuzzCheck.violations(in: unterminated).contains { $0.contains("does not end with a newline") })
    }

    /// The fuzzer's first find (fuzz/regressions/recipe/): fences that run to the end of the
    /// document or of their container were taken as closed by a line that only looks like a fence.
    @Test(arguments: [
        "# T\n\n```swift\nx\n    ```\n",                           // 4-space indent: code, not a closing fence
        "> ```swift\n> let a = 1\n```\nprint(a)\n```\n",         // the unquoted ``` ends the quote
        "- item\n\n  ```swift\n  let a = 1\n```\nprint(a)\n```\n", // … or the list item
    ])
    func fenceThatIsNeverClosedIsReported(source: String) {
        #expect(throws: RecipeError.self) { try Recipe(path: "recipes/x.md", source: source) }
        do {
            _ = try Recipe(path: "recipes/x.md", source: source)
        } catch {
            #expect("\(error)".contains("is never closed"), "\(error)")
        }
    }

    /// Found by the fuzzer (fuzz/regressions/recipe/settings_word_only_equals.md): a settings
    /// word that is only `=` trapped with an index out of range.
    @Test func settingsWordWithoutKeyIsBadInput() {
        do {
            _ = try Recipe(path: "recipes/x.md", source: "# X\n\n<!-- kiln:= timeout=5 -->\n")
            Issue.record("accepted a settings word without a key")
        } catch {
            #expect((error as? RecipeError)?.failureClass == .badInput)
            #expect("\(error)".hasPrefix("recipes/x.md:3: unknown kiln setting ``"), "\(error)")
        }
    }

    @Test func closedFencesInContainersStillParse() throws {
        let source = "> ```swift\n> let a = 1\n> ```\n\n- item\n\n  ```swift\n  print(a)\n  ```\n\n    ```\n    indented code\n    ```\n"
        let recipe = try Recipe(path: "recipes/x.md", source: source)
        #expect(recipe.blocks.map(\.code) == ["let a = 1\n", "print(a)\n"])
        #expect(recipe.blocks.map(\.fenceLines) == [1...3, 7...9])
    }
}
