import Foundation
import Testing
@testable import KilnRecipes

@Suite struct ParsingTests {
    let sample = """
        <!-- kiln: timeout=60 block-timeout=5 -->
        # Loading *weights*

        Some text.

        ```swift
        let x = 1
        print(x)
        ```

        ```python
        print("shown")
        ```

        ```swift expect-error timeout=2.5
        throw Oops()
        ```

        > ```swift hide-output
        > print("quoted")
        > ```

        ```swift no-run
        ```
        """

    @Test func stepsHaveSourceLines() throws {
        let recipe = try Recipe(path: "recipes/sample.md", source: sample)
        #expect(recipe.title == "Loading weights")
        #expect(recipe.name == "sample")
        #expect(recipe.settings.timeout == 60)
        #expect(recipe.settings.blockTimeout == 5)
        #expect(recipe.blocks.count == 4)
        let s0 = recipe.blocks[0]
        #expect(s0.code == "let x = 1\nprint(x)\n")
        #expect(s0.fenceLines == 6...9)
        #expect(s0.codeLines == 7..<9)
        #expect(s0.options == BlockOptions())
        let s1 = recipe.blocks[1]
        #expect(s1.fenceLines == 15...17)
        #expect(s1.options.expectError && s1.options.timeout == 2.5)
        let s2 = recipe.blocks[2]
        #expect(s2.fenceLines == 19...21)
        #expect(s2.code == "print(\"quoted\")\n")
        #expect(s2.options.hideOutput)
        #expect(s2.containerPrefix == "> ")
        let s3 = recipe.blocks[3]
        #expect(s3.options.noRun && !s3.runs)
        #expect(s3.code == "")
        #expect(s3.fenceLines == 23...24)
        #expect(s3.codeLines.isEmpty)
        #expect(recipe.runnableBlocks.count == 3)
        #expect(recipe.block(containing: 16)?.index == 1)
    }

    @Test func markdownTreeHasPositions() {
        let doc = CommonMark.parse("# Title\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\n~~~~text\nhi\n~~~~\n")
        #expect(doc.firstHeading == "Title")
        #expect(doc.root.children.map(\.type) == ["heading", "table", "code_block"])
        #expect(doc.root.children[1].startLine == 3)
        let fence = doc.codeFences[0]
        #expect(fence.language == "text" && fence.isClosed && fence.startLine == 7 && fence.endLine == 9)
        #expect(CommonMark.renderHTML("~~gone~~ https://example.com").contains("<del>gone</del>"))
        #expect(CommonMark.renderHTML("- [x] done").contains("checkbox"))
    }

    @Test func titleFallsBackToFileName() throws {
        let recipe = try Recipe(path: "recipes/no_heading.md", source: "text only\n")
        #expect(recipe.title == "no_heading")
        #expect(recipe.blocks.isEmpty)
    }

    @Test func unknownOptionIsLocatedWithSuggestion() {
        let source = "# T\n\n```swift expect-eror\nx\n```\n"
        #expect {
            try Recipe(path: "recipes/x.md", source: source)
        } throws: { error in
            let e = error as! RecipeError
            return e.failureClass == .badInput
                && e.message == "recipes/x.md:3: unknown block option `expect-eror`"
                && e.suggestion?.hasPrefix("Suggested fix: did you mean `expect-error`?") == true
        }
    }

    @Test func badTimeoutAndConflictsAreErrors() {
        #expect(throws: RecipeError.self) { try Recipe(path: "r.md", source: "```swift timeout=soon\n```\n") }
        #expect(throws: RecipeError.self) { try Recipe(path: "r.md", source: "```swift timeout=0\n```\n") }
        #expect(throws: RecipeError.self) { try Recipe(path: "r.md", source: "```swift no-run expect-error\n```\n") }
    }

    @Test func unknownSettingIsLocated() {
        #expect {
            try Recipe(path: "recipes/x.md", source: "# T\n\n<!-- kiln: timeuot=5 -->\n")
        } throws: { error in
            let e = error as! RecipeError
            return e.message == "recipes/x.md:3: unknown kiln setting `timeuot`"
                && e.suggestion?.contains("did you mean `timeout`?") == true
        }
    }

    @Test func unclosedFenceIsReportedAtItsLine() {
        for source in ["# T\n\n```swift\nlet x = 1\n", "# T\n\n```swift\nlet x = 1\n\n## More\n", "a\n\n```swift"] {
            #expect {
                try Recipe(path: "recipes/x.md", source: source)
            } throws: { error in
                (error as! RecipeError).message == "recipes/x.md:3: the ```swift fence opened here is never closed"
            }
        }
        // A longer closing fence closes; a shorter one does not.
        #expect((try? Recipe(path: "r.md", source: "````swift\nx\n`````\n")) != nil)
        #expect((try? Recipe(path: "r.md", source: "````swift\nx\n```\n")) == nil)
    }

    @Test func nonSwiftAndTildeFences() throws {
        let recipe = try Recipe(path: "r.md", source: "~~~swift\nlet a = 1\n~~~\n\n```Swift\nlet b = 2\n```\n\n```\nplain\n```\n")
        #expect(recipe.blocks.map(\.code) == ["let a = 1\n", "let b = 2\n"])
    }
}
