import Foundation
import Testing
@testable import KilnRecipes

/// Issue 14 item 8: the regenerated document renders as the recipe does, plus Kiln's sections.
struct FidelityTests {
    /// The document of `source` with every block passed (printing `output`) and no times.
    func document(_ source: String, output: String = "1\n", status: BlockStatus = .passed) throws -> String {
        let recipe = try Recipe(path: "recipes/x.md", source: source)
        let execution = RecipeExecution(recipe: recipe, blocks: recipe.blocks.map {
            BlockResult(block: $0, status: status, output: output, seconds: 0.5)
        })
        return DocumentRenderer(includeTimes: true).markdown(for: execution)
    }

    /// The footer the renderer appends, rendered.
    let footerHTML = CommonMark.renderHTML("[Download the recipe source: x.source.md](x.source.md)\n\n[Download Swift source code: x.swift](x.swift)\n\n[Download Jupyter notebook: x.ipynb](x.ipynb)\n")

    @Test(arguments: [BlockStatus.passed, .notRun, .failed(.exit(3))])
    func swiftFenceInATightListKeepsTheListTight(status: BlockStatus) throws {
        let source = "# T\n\n- one\n- two\n  ```swift\n  print(1)\n  ```\n- three\n  more text\n\nAfter.\n"
        let html = CommonMark.renderHTML(try document(source, status: status))
        #expect(!html.contains("<li>\n<p>") && !html.contains("<p>one</p>"), "\(html)")
        #expect(html.components(separatedBy: "<li>").count == 4, "\(html)")
        #expect(html.contains("<li>three\nmore text</li>"), "\(html)")
        #expect(html.contains("<p>After.</p>"))
        // The block's sections are in its item.
        let item = try #require(html.components(separatedBy: "<li>").dropFirst(2).first)
        #expect(item.contains("recipes/x.md, lines 5-7") && item.contains("Running time: 0.500 s"), "\(item)")
    }

    @Test(arguments: ["<style>\np { color: red; }\n", "<!-- an unfinished\ncomment\n", "<?php\necho 1;\n",
                      "<![CDATA[\ndata\n", "<!DOCTYPE html\n", "<script\n", "```text\nruns to the end\n", "~~~~\nto the end\n\n"])
    func blockOpenAtTheEndDoesNotSwallowTheFooter(tail: String) throws {
        let source = "# T\n\n```swift\nprint(1)\n```\n\n" + tail
        let doc = try document(source)
        #expect(CommonMark.renderHTML(doc).hasSuffix(footerHTML), "\(doc)")
        // What the recipe showed is unchanged: the recipe's rendering is a prefix of the document's.
        let recipeHTML = CommonMark.renderHTML(source).components(separatedBy: "<pre><code class=\"language-swift\">print(1)\n</code></pre>\n")
        #expect(CommonMark.renderHTML(doc).contains(recipeHTML[1]), "\(doc)")
    }

    @Test func closedBlocksAtTheEndGetNoCloser() throws {
        for tail in ["<style>p {}</style>\n", "<!-- c -->\n", "```text\nx\n```\n", "<div>\nhtml kind 6\n"] {
            let doc = try document("# T\n\n" + tail)
            #expect(doc.components(separatedBy: "\n").filter { ["</style>", "-->", "```"].contains($0) }.count
                        == tail.components(separatedBy: "\n").filter { ["</style>", "-->", "```"].contains($0) }.count, "\(doc)")
        }
    }

    @Test func leadingByteOrderMarkIsNotText() throws {
        let recipe = try Recipe(path: "recipes/x.md", source: "\u{FEFF}# The title\n\n```swift\nprint(1)\n```\n")
        #expect(recipe.title == "The title")
        #expect(recipe.blocks.first?.codeLines == 4..<5)
        #expect(recipe.source.unicodeScalars.first == "\u{FEFF}")
        let doc = try document("\u{FEFF}# The title\n\n```swift\nprint(1)\n```\n")
        #expect(!doc.unicodeScalars.contains("\u{FEFF}"))
        #expect(CommonMark.renderHTML(doc).contains("<h1>The title</h1>"))
    }

    @Test func unclosedFenceOfAnotherLanguageIsValid() throws {
        let recipe = try Recipe(path: "recipes/x.md", source: "# T\n\n```swift\nprint(1)\n```\n\n```python\nprint(2)\n\n```swift\nnot a block\n")
        #expect(recipe.blocks.map(\.code) == ["print(1)\n"])
        // A Swift fence never closed is still refused: it would run the prose after it.
        #expect(throws: RecipeError.self) { try Recipe(path: "recipes/x.md", source: "# T\n\n```swift\nprint(1)\n") }
    }

    @Test func fencesInQuotesAndListItemsRun() throws {
        let recipe = try Recipe(path: "recipes/x.md", source: "> ```swift\n> print(1)\n> ```\n\n1. item\n   ```swift\n   print(2)\n   ```\n")
        #expect(recipe.blocks.map(\.code) == ["print(1)\n", "print(2)\n"])
    }
}
