import Foundation
import Testing
@testable import KilnRecipes

/// A timeout is a promise: it fires even when the recipe program leaves the process group the
/// runner started it in (the runner kills the program's pid as well as its group).
@Suite(.enabled(if: TestEnvironment.canExecute, "needs libKiln.so and swiftc"))
struct HostileTimeoutTests {
    /// The block joins its parent's group, then busy-waits; it gives up after 30 s on its
    /// own, so a runner that cannot kill it fails this test instead of hanging it.
    @Test func timeoutFiresAfterTheProgramLeavesItsGroup() throws {
        let recipe = try Recipe(path: "recipes/x.md", source: """
            ```swift timeout=2
            _ = setpgid(0, getpgid(getppid()))
            print("left the group")
            let end = Date().addingTimeInterval(240)
            while Date() < end { usleep(10_000) }
            print("survived")
            ```
            """)
        let start = Date()
        let e = TestEnvironment.executor().execute(recipe)
        #expect(Date().timeIntervalSince(start) - e.compileSeconds < 120) // the block would run 240 s
        #expect(e.blocks[0].status == .failed(.timeout(seconds: 2, recipeWide: false)))
        #expect(e.blocks[0].output == "left the group\n")
    }
}
