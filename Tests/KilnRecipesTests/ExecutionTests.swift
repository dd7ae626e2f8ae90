import Foundation
import Testing
@testable import KilnRecipes

/// Compile and run real recipe programs against the built Kiln.
@Suite(.enabled(if: TestEnvironment.canExecute, "needs libKiln.so and Modules/ next to the test bundle"))
struct ExecutionTests {
    func run(_ source: String, timeout: Double = 60) throws -> RecipeExecution {
        let recipe = try Recipe(path: "recipes/x.md", source: source)
        return TestEnvironment.executor(timeout: timeout).execute(recipe)
    }

    @Test func blocksShareStateAndOutputIsSplit() throws {
        let e = try run("""
            # Shared

            ```swift
            let t = Tensor.zeros([2])
            var n = 1
            print("first", terminator: "")
            ```

            ```python
            not swift
            ```

            ```swift
            n += 1
            print(n, t.shape)
            FileHandle.standardError.write("to stderr\\n".data(using: .utf8)!)
            print("after")
            ```

            ```swift no-run
            this is not compiled
            ```

            ```swift
            ```
            """)
        #expect(e.passed)
        #expect(e.blocks.map(\.status) == [.passed, .passed, .shownOnly, .passed])
        #expect(e.blocks[0].output == "first")
        #expect(e.blocks[1].output == "2 [2]\nto stderr\nafter\n")
        #expect(e.blocks[3].output == "")
        #expect(e.blocks[0].seconds! >= 0 && e.blocks[0].seconds! < 5)
    }

    @Test func compileErrorPointsAtTheRecipeLine() throws {
        let e = try run("# C\n\n```swift\nlet a = 1\n```\n\n```swift\nlet b = 2\nlet z: Int = \"s\"\n```\n")
        #expect(status(e, 0) == .notRun)
        guard case .failed(.compileError(let message)) = status(e, 1) else { Issue.record("\(e.blocks)"); return }
        #expect(message.contains("recipes/x.md:9:"))
        #expect(!message.contains("<generated>"))
        #expect(e.blocks[1].failureLine == 9)
        #expect(e.failureDescription?.hasPrefix("recipes/x.md:9: compile error: recipes/x.md:9:") == true)
    }

    @Test func thrownErrorFailsTheBlockAndStopsTheRecipe() throws {
        let e = try run("""
            ```swift
            struct Oops: Error, CustomStringConvertible { var description: String { "bad thing happened" } }
            print("before")
            ```

            ```swift
            print("partial", terminator: "")
            throw Oops()
            ```

            ```swift
            print("never")
            ```
            """)
        #expect(status(e, 0) == .passed)
        #expect(status(e, 1) == .failed(.thrownError("bad thing happened")))
        #expect(e.blocks[1].output == "partial")
        #expect(status(e, 2) == .notRun)
        #expect(e.failureDescription == "recipes/x.md:6: thrown error: bad thing happened")
    }

    @Test func trapNamesTheRecipeLine() throws {
        let e = try run("# T\n\n```swift\nprint(\"hi\")\nfatalError(\"boom\")\n```\n")
        #expect(status(e, 0) == .failed(.trap("recipes/x.md:5: Fatal error: boom")))
        #expect(e.blocks[0].output == "hi\n")
        #expect(e.blocks[0].failureLine == 5)
    }

    @Test func signalIsNamed() throws {
        let e = try run("```swift\nkill(getpid(), SIGSEGV)\n```\n")
        #expect(status(e, 0) == .failed(.signal("SIGSEGV (segmentation fault)")))
    }

    @Test func exitMidRecipeFails() throws {
        let e = try run("```swift\nprint(1)\n```\n\n```swift\nexit(3)\n```\n\n```swift\nprint(2)\n```\n")
        #expect(e.blocks.map(\.status) == [.passed, .failed(.exit(3)), .notRun])
    }

    @Test func hangIsKilledWithItsGrandchildren() throws {
        let start = Date()
        let e = try run("""
            ```swift timeout=2
            // posix_spawn keeps the grandchild in the recipe's process group (Foundation's
            // Process would start a new group, which the runner cannot reach).
            var pid: pid_t = 0
            let argv: [UnsafeMutablePointer<CChar>?] = [strdup("sleep"), strdup("300"), nil]
            precondition(posix_spawn(&pid, "/bin/sleep", nil, nil, argv, environ) == 0)
            print(pid)
            while true { sleep(1) }
            ```
            """)
        #expect(Date().timeIntervalSince(start) < 120) // the grandchild sleeps 300 s
        #expect(status(e, 0) == .failed(.timeout(seconds: 2, recipeWide: false)))
        let pid = Int32(e.blocks[0].output.trimmingCharacters(in: .whitespacesAndNewlines)) ?? 0
        #expect(pid > 0)
        // The grandchild is gone (or a zombie awaiting its new parent's reaping).
        usleep(200_000)
        let stat = (try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8)) ?? ""
        #expect(stat.isEmpty || stat.contains(") Z "), "grandchild still running: \(stat)")
    }

    @Test func recipeTimeoutFromSettings() throws {
        let e = try run("<!-- kiln: timeout=1 -->\n```swift\nprint(\"ok\")\n```\n\n```swift\nsleep(30)\n```\n")
        #expect(e.blocks.map(\.status) == [.passed, .failed(.timeout(seconds: 1, recipeWide: true))])
    }

    @Test func floodIsTruncatedAndTheNextBlockRuns() throws {
        let e = try run("""
            ```swift
            let line = String(repeating: "x", count: 99)
            for _ in 0..<30_000 { print(line) }
            ```

            ```swift
            print("\\u{1E}KILN-fake begin 9 9")
            print("next")
            ```
            """)
        #expect(e.passed)
        let out = e.blocks[0].output
        let line = String(repeating: "x", count: 99)
        // The head (1 MiB), a note, then the last 64 KiB from its first whole line (655 lines).
        #expect(out.utf8.count < (1 << 20) + 65_536 + 200)
        #expect(out.contains("x\n… output truncated (\(3_000_000 - (1 << 20) - 65_500) bytes dropped)\n" + line + "\n"))
        #expect(out.hasSuffix(String(repeating: line + "\n", count: 655)))
        #expect(e.blocks[1].output == "\u{1E}KILN-fake begin 9 9\nnext\n")
    }

    @Test func invalidUTF8IsReplaced() throws {
        let e = try run("```swift\nFileHandle.standardOutput.write(Data([0x61, 0xFF, 0x62, 0x0A]))\n```\n")
        #expect(e.blocks[0].output == "a\u{FFFD}b\n")
    }

    @Test func expectedErrorIsTheOutputAndTheRecipeContinues() throws {
        let e = try run("""
            ```swift
            struct Oops: Error, CustomStringConvertible { var description: String { "expected failure" } }
            let kept = 41
            ```

            ```swift expect-error
            print("trying")
            throw Oops()
            ```

            ```swift
            print(kept + 1)
            ```
            """)
        #expect(e.blocks.map(\.status) == [.passed, .passed, .passed])
        #expect(e.blocks[1].output == "trying\nexpected failure\n")
        #expect(e.blocks[2].output == "42\n")
    }

    @Test func expectErrorBlockThatSucceedsFails() throws {
        let e = try run("```swift expect-error\nprint(\"fine\")\n```\n\n```swift\nprint(\"never\")\n```\n")
        #expect(e.blocks.map(\.status) == [.failed(.unexpectedSuccess), .notRun])
        #expect(e.blocks[0].output == "fine\n")
        #expect(e.failureDescription == "recipes/x.md:1: expected an error but the block succeeded")
    }
}
