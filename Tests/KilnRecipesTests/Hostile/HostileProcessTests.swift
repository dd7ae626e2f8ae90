import Foundation
import Testing
@testable import KilnRecipes

/// Recipes that hang, leave processes behind or print bytes that are not text.
///
/// Decision for processes a block starts in the background: they may live as long as the
/// recipe program (a later block may use them), no longer. When the program ends (or is
/// killed), the runner kills its process group and every straggler outside it: processes
/// carrying the program's token in their environment, or holding its output pipe (see
/// ProcessSweeper). So the runner never waits on an inherited pipe, and no process survives.
///
/// Covered elsewhere, not repeated here: a posix_spawn'ed grandchild killed on a timeout
/// (ExecutionTests.hangIsKilledWithItsGrandchildren, extended below with a Process child),
/// a recipe-wide timeout (ExecutionTests.recipeTimeoutFromSettings), a 3 MB flood truncated
/// with a note and a fake marker (ExecutionTests.floodIsTruncatedAndTheNextBlockRuns); the
/// 100 MB flood and the runner's memory are checked on the built CLI (HostileCLITests).
@Suite(.enabled(if: HostileRun.shared != nil, "needs libKiln.so and swiftc"))
struct HostileProcessTests {
    let run = HostileRun.shared!

    @Test func hangIsKilledWithEveryGrandchild() throws {
        let r = run.report("hang")
        let e = try #require(r.execution)
        #expect(e.blocks[0].status == .failed(.timeout(seconds: 2, recipeWide: false)))
        #expect(e.blocks[0].output == "started\n")
        #expect(r.failure == "\(run.path("hang")):3: timed out after 2.000 s (block timeout)")
        #expect(r.status == .failed && run.exitCode("hang") == 70)
        #expect(run.survivingSleeps().filter { $0.contains(run.sleepToken + "1") || $0.contains(run.sleepToken + "2") } == [])
        run.expectNothingLost("hang", kept: false)
    }

    @Test func backgroundProcessesDieWithTheRecipeProgram() throws {
        let r = run.report("background")
        let e = try #require(r.execution)
        #expect(e.blocks.map(\.status) == [.passed, .passed])
        #expect(e.blocks.map(\.output) == ["started\n", "second block\n"])
        #expect(r.status == .passed && run.exitCode("background") == 0)
        // Including the one in a new session with a cleared environment, which only holding
        // the output pipe gives away.
        #expect(run.survivingSleeps() == [])
        run.expectNothingLost("background", kept: false)
    }

    @Test func bytesThatAreNotTextAreReplacedAndFencesStayClosed() throws {
        let r = run.report("bytes")
        let e = try #require(r.execution)
        #expect(e.blocks[0].status == .passed)
        #expect(e.blocks[0].output == "a\u{FFFD}\u{FFFD}b\u{FFFD}c\n```\n")
        run.expectNothingLost("bytes", kept: false)
        // Fenced longer than the output's own backtick run, so the document stays well formed.
        #expect(run.read("bytes.md")!.contains("\n````text\na\u{FFFD}\u{FFFD}b\u{FFFD}c\n```\n````\n"))
        #expect(!run.read("bytes.md")!.utf8.contains(0))
    }

    @Test func passingRecipeBesideHostileOnesIsWhole() {
        #expect(run.report("good").status == .passed && run.exitCode("good") == 0)
        run.expectNothingLost("good", kept: false)
        #expect(run.read("good.md")!.contains("```text\nfine\n```"))
        // The gallery lists every recipe with its fate.
        let index = run.read("index.md") ?? ""
        for (stem, status) in [("good", "passed"), ("hang", "failed"), ("unclosed", "invalid"), ("nul", "invalid")] {
            #expect(index.contains("](\(stem).md) | \(status) |"), "\(stem) in \(index)")
        }
    }
}
