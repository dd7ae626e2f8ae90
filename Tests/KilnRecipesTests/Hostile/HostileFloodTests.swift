import Foundation
import Testing
@testable import KilnRecipes

/// More output than a block keeps (1 MiB), then a failure. Decision: a block keeps the head of
/// its output and its last 64 KiB, with a note of what was dropped between them, so the
/// runtime's report at the end (a trap's message, a thrown error) survives any flood.
@Suite(.enabled(if: TestEnvironment.canExecute, "needs libKiln.so and swiftc"))
struct HostileFloodTests {
    static let flood = """
        let line = String(repeating: "x", count: 99)
        for _ in 0..<20_000 { print(line) }
        """

    func run(_ source: String) throws -> RecipeExecution {
        try TestEnvironment.executor().execute(Recipe(path: "recipes/x.md", source: source))
    }

    @Test func aTrapAfterAFloodKeepsItsMessage() throws {
        let e = try run("```swift\n\(Self.flood)\nprint(\"last words\")\nfatalError(\"the reason\")\n```\n")
        guard case .failed(.trap(let message)) = e.blocks[0].status else { Issue.record("\(e.blocks[0].status)"); return }
        #expect(message == "recipes/x.md:5: Fatal error: the reason")
        #expect(e.blocks[0].failureLine == 5)
        let output = e.blocks[0].output
        #expect(output.hasPrefix(String(repeating: "x", count: 99) + "\n"))
        #expect(output.contains("… output truncated ("))
        #expect(output.hasSuffix("xx\nlast words\n"), "\(output.suffix(200))")
        #expect(output.utf8.count < (1 << 20) + 65_536 + 200)
    }

    @Test func aThrownErrorAfterAFloodIsAThrownError() throws {
        let e = try run("""
            ```swift
            struct Broken: Error, CustomStringConvertible { var description: String { "broken after the flood" } }
            \(Self.flood)
            throw Broken()
            ```
            """)
        #expect(e.blocks[0].status == .failed(.thrownError("broken after the flood")))
    }
}
