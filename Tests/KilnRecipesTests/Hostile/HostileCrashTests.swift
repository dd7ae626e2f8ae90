import Foundation
import Testing
@testable import KilnRecipes

/// Recipes whose program does not compile or dies: each fails with its reason at the recipe
/// line (exit code 70), its document is regenerated whole with the failure in place, the
/// blocks before it keep their output and nothing else in `output/` changes.
///
/// Covered exactly elsewhere, not repeated here: `fatalError` naming its recipe line
/// (ExecutionTests.trapNamesTheRecipeLine, and with exit code 70 and the regenerated document
/// in RunnerTests.failingRecipeIsWrittenWithTheFailureAndInvalidOneKeepsItsDocument), a thrown
/// error (ExecutionTests.thrownErrorFailsTheBlockAndStopsTheRecipe, with exit code and JUnit
/// in RunnerTests.verifyWritesNothingButJUnitAndChecksStaleness), a type error pointing at its
/// line (ExecutionTests.compileErrorPointsAtTheRecipeLine), a signal (ExecutionTests.signalIsNamed).
@Suite(.enabled(if: HostileRun.shared != nil, "needs libKiln.so and swiftc"))
struct HostileCrashTests {
    let run = HostileRun.shared!

    @Test func syntaxErrorThatSwallowsTheRestPointsAtItsBlock() throws {
        let r = run.report("syntax")
        let e = try #require(r.execution)
        let path = run.path("syntax")
        #expect(e.blocks.map(\.status.isFailure) == [false, true, false])
        #expect(e.blocks[0].status == .notRun && e.blocks[2].status == .notRun)
        guard case .failed(.compileError(let message)) = e.blocks[1].status else { Issue.record("\(e.blocks[1].status)"); return }
        // The unclosed `{` on line 8; the compiler's error at the block's end (its closing fence).
        #expect(e.blocks[1].failureLine == 8)
        #expect(message.hasPrefix("\(path):10:1: error: expected '}' at end of brace statement\n"))
        #expect(message.contains("\(path):8:10: note: to match this opening '{'\nfunc f() {\n"))
        #expect(!message.contains("<generated>") && !message.contains("__kiln"))
        #expect(r.failure == "\(path):8: compile error: \(path):10:1: error: expected '}' at end of brace statement")
        #expect(r.status == .failed && run.exitCode("syntax") == 70)
        run.expectNothingLost("syntax", kept: false)
        #expect(run.read("syntax.md")!.contains("**Failed** at \(path):8:\n\n```text\ncompile error:\n\(path):10:1: error:"))
    }

    @Test func outOfRangeIndexIsATrapInItsBlock() throws {
        let r = run.report("index_trap")
        let e = try #require(r.execution)
        #expect(e.blocks[0].status == .passed && e.blocks[0].output == "before\n")
        guard case .failed(.trap(let message)) = e.blocks[1].status else { Issue.record("\(e.blocks[1].status)"); return }
        // The runtime names its own source file (Swift/…Array…swift:N): the block is the fence's.
        #expect(message.hasPrefix("Swift/") && message.hasSuffix(": Fatal error: Index out of range"), "\(message)")
        #expect(e.blocks[1].failureLine == 7 && e.blocks[1].output == "")
        #expect(r.failure == "\(run.path("index_trap")):7: trap: \(message)")
        #expect(r.status == .failed && run.exitCode("index_trap") == 70)
        run.expectNothingLost("index_trap", kept: false)
        #expect(run.read("index_trap.md")!.contains("```text\nbefore\n```"))
    }

    @Test func exitMidRecipeIsAFailureOfThatBlock() throws {
        let r = run.report("exit3")
        let e = try #require(r.execution)
        #expect(e.blocks.map(\.status) == [.passed, .failed(.exit(3)), .notRun])
        #expect(e.blocks.map(\.output) == ["one\n", "two\n", ""])
        #expect(r.failure == "\(run.path("exit3")):7: the program called exit(3) before the recipe finished")
        #expect(r.status == .failed && run.exitCode("exit3") == 70)
        run.expectNothingLost("exit3", kept: false)
        let document = run.read("exit3.md")!
        #expect(document.contains("```text\ntwo\n```\n\n**Failed** at \(run.path("exit3")):7:\n\n```text\nthe program called exit(3) before the recipe finished\n```"))
        #expect(document.contains("*Not run: an earlier block failed.*"))
    }
}

extension BlockStatus {
    var isFailure: Bool { if case .failed = self { return true } else { return false } }
}
