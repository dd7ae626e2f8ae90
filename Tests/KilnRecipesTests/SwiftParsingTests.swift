import Foundation
import Testing
@testable import KilnRecipes

/// Code nesting `[` deeper than SwiftParser can take in reasonable time is never handed to it
/// (its inline-array lookahead doubles per level): each caller falls back as for code that
/// does not parse. Without the bound these tests would not finish.
@Suite struct SwiftParsingTests {
    static let deep = String(repeating: "[", count: 43) + "let shape = Tensor.zeros([2, 3]).shape\nprint(shape)\n"

    @Test func bracketDepthCountsNesting() {
        #expect(SwiftParsing.bracketDepth("let a = [[1, 2], [3]]") == 2)
        #expect(SwiftParsing.bracketDepth("]]] [x]") == 1, "a stray ] does not go below zero")
        #expect(SwiftParsing.bracketDepth(Self.deep) == 44)
        #expect(SwiftParsing.parse("let a = [[[1]]]") != nil)
        #expect(SwiftParsing.parse(Self.deep) == nil)
    }

    @Test func deeplyNestedBlocksFallBackEverywhere() throws {
        #expect(BlockSplitter.split(Self.deep, tryFunction: "kilnTry") == nil, "the top-level layout, as for code that does not parse")
        #expect(SwiftHighlighter.html(Self.deep).contains("let shape"), "shown as plain text")
        #expect(!SwiftHighlighter.html(Self.deep).contains("<span"))
        let md = "# A\n\n```swift parameters\n" + String(repeating: "[", count: 20) + "let batch = 8\n```\n"
        #expect(throws: RecipeError.self) { try Recipe(path: "deep.md", source: md) }
    }
}
