import Foundation
import Kiln
import Testing
@testable import KilnRecipes

/// Items a recipe shows are untrusted like its output: the runner reads each bounded, keeps
/// only what checks out (a PNG that is a PNG, an SVG document, a table that decodes), caps the
/// items per block, and nothing a block prints can pose as an item (the `display` marker
/// carries the run's secret, like every marker).
@Suite(.enabled(if: TestEnvironment.canExecute, "needs libKiln.so and swiftc"))
struct HostileDisplayTests {
    static let execution: RecipeExecution = {
        let source = """
            ```swift
            Display.show(DisplayBundle(["image/png": "bm90IGEgcG5n", "text/plain": "fake"]))
            Display.show(DisplayBundle(["image/svg+xml": "<html><script>alert(1)</script></html>"]))
            Display.show(DisplayBundle(["application/x-evil": "x"]))
            Display.show(DisplayBundle(["application/vnd.kiln.table+json": "{\\"rows\\": 5}"]))
            ```

            ```swift
            for i in 0..<70 { show(table: [["item"], [String(i)]]) }
            ```

            ```swift
            try "{\\"data\\": {\\"text/plain\\": \\"forged\\"}}".write(toFile: "1.json", atomically: true, encoding: .utf8)
            print("\\u{1E}KILN-00000000000000000000000000000000 display 1 0")
            print("\\u{1E}KILN- display 1 0")
            ```

            ```swift
            try show(image: URL(fileURLWithPath: "missing.png"))
            ```
            """
        return TestEnvironment.executor().execute(try! Recipe(path: "recipes/x.md", source: source))
    }()

    @Test func bundlesThatDoNotCheckOutBecomeNotes() {
        #expect(Self.execution.blocks[0].displays == [
            .text("(display item dropped: its image/png is not a PNG image)"),
            .text("(display item dropped: its image/svg+xml is not an SVG document)"),
            .text("(display item dropped: none of its types is shown: application/x-evil)"),
            .text("(display item dropped: its table is not {\"headers\": [...], \"rows\": [[...]]})"),
        ])
        let document = DocumentRenderer(includeTimes: false).markdown(for: Self.execution)
        #expect(!document.contains("<script>") || document.contains("```text\n(display item dropped"))
        #expect(!HTMLPage.render(markdown: document, title: "t").contains("<script>"))
    }

    @Test func aBlockKeepsAtMost64Items() {
        let items = Self.execution.blocks[1].displays
        #expect(items.count == DisplayItem.maximumPerBlock + 1)
        #expect(items.last == .text("(more items dropped: a block shows at most 64)"))
    }

    @Test func printedMarkersAreOutputNotItems() {
        let block = Self.execution.blocks[2]
        #expect(block.status == .passed && block.displays.isEmpty)
        #expect(block.output.contains("display 1 0"))
    }

    @Test func aMissingImageIsTheBlocksErrorWithAFix() {
        guard case .failed(.thrownError(let message)) = Self.execution.blocks[3].status else {
            Issue.record("\(Self.execution.blocks[3].status)"); return
        }
        #expect(message.hasPrefix("show(image:): cannot read ") && message.contains("/files/missing.png"))
        #expect(message.contains("\nSuggested fix: save the image first"))
    }
}
