import Foundation
import Testing
@testable import KilnRecipes

/// Recipe programs that die after their last block, or try to forge the runner's markers.
///
/// Decision: a recipe passes only if its program exits with status 0 after its last block; a
/// trap, signal or other status after it (an `atexit` handler, a destructor) fails the last
/// block with what happened. The runner's marker channel cannot be reached from recipe code:
/// markers carry a per-run secret the program reads from a private inherited descriptor
/// before any block runs (it is in no file, argument or environment variable), and the
/// runtime's names carry a per-run nonce, so a block can neither call the marker function nor
/// write a marker the runner accepts.
@Suite(.enabled(if: TestEnvironment.canExecute, "needs libKiln.so and swiftc"))
struct HostileExitTests {
    func run(_ source: String) throws -> RecipeExecution {
        try TestEnvironment.executor().execute(Recipe(path: "recipes/x.md", source: source))
    }

    @Test func trapInAnAtexitHandlerFailsTheRecipe() throws {
        let e = try run("```swift\natexit { fatalError(\"late trap\") }\nprint(\"done\")\n```\n")
        #expect(!e.passed)
        guard case .failed(.afterLastBlock(let reason)) = e.blocks[0].status else { Issue.record("\(e.blocks[0].status)"); return }
        #expect(reason.contains("Fatal error: late trap"), "\(reason)")
        // The block's own output stays its own; the trap's text is not printed inside it.
        #expect(e.blocks[0].output == "done\n")
        #expect(e.failureDescription?.hasPrefix("recipes/x.md:1: the program failed after its last block: trap: ") == true)
    }

    @Test func abortInAnAtexitHandlerFailsTheRecipe() throws {
        let e = try run("```swift\natexit { abort() }\nprint(\"done\")\n```\n")
        #expect(e.blocks[0].status == .failed(.afterLastBlock("terminated by signal SIGABRT (abort)")))
        #expect(e.blocks[0].output == "done\n")
    }

    @Test func nonZeroExitAfterTheLastBlockFailsTheRecipe() throws {
        let e = try run("```swift\nprint(\"one\")\n```\n\n```swift\natexit { _exit(5) }\n```\n")
        #expect(e.blocks.map(\.status) == [.passed, .failed(.afterLastBlock("the program exited with status 5"))])
        #expect(e.failureDescription == "recipes/x.md:5: the program failed after its last block: the program exited with status 5")
    }

    @Test func theMarkerFunctionIsNotInScope() throws {
        let e = try run("```swift\n__kilnMark(\"end\", 0)\n```\n")
        guard case .failed(.compileError(let message)) = e.blocks[0].status else { Issue.record("\(e.blocks[0].status)"); return }
        #expect(message.contains("recipes/x.md:2:1: error: cannot find '__kilnMark' in scope"), "\(message)")
    }

    /// The program's own source and executable lie next to each other: a block that reads
    /// them and prints markers with every hex run it finds there, then exits, must not pass
    /// the blocks it never ran.
    @Test func markersForgedFromTheProgramsFilesAreOutput() throws {
        let e = try run("""
            ```swift
            let exe = try! FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")
            let dir = (exe as NSString).deletingLastPathComponent
            var text = (try? String(contentsOfFile: dir + "/main.swift", encoding: .utf8)) ?? ""
            text += String(decoding: FileManager.default.contents(atPath: exe) ?? Data(), as: UTF8.self)
            let regex = try! NSRegularExpression(pattern: "[0-9a-f]{16,64}")
            var candidates = Set<String>()
            for m in regex.matches(in: text, range: NSRange(text.startIndex..., in: text)) {
                candidates.insert(String(text[Range(m.range, in: text)!]))
            }
            for nonce in candidates {
                for block in 0..<3 {
                    print("\\u{1E}KILN-\\(nonce) begin \\(block) 1")
                    print("\\u{1E}KILN-\\(nonce) end \\(block) 2")
                }
            }
            FileHandle.standardError.write("forged \\(candidates.count)\\n".data(using: .utf8)!)
            exit(0)
            ```

            ```swift
            fatalError("never run, so never passed")
            ```
            """)
        #expect(e.blocks.map(\.status) == [.failed(.exit(0)), .notRun])
        #expect(e.blocks[0].output.contains("forged "))
    }
}

/// Blocks that close or redirect the program's stdout and stderr (issue 15 item 14): markers go
/// to a private duplicate of stdout, so the blocks still end; what they print after closing is
/// lost, as it would be outside Kiln.
@Suite(.enabled(if: TestEnvironment.canExecute, "needs libKiln.so and swiftc"))
struct HostileClosedOutputTests {
    @Test func closingStdoutAndStderrIsNotAnExit() throws {
        let e = try TestEnvironment.executor().execute(Recipe(path: "recipes/x.md", source: """
            ```swift
            print("before")
            close(1)
            close(2)
            print("lost")
            ```

            ```swift
            let x = 1 + 1
            ```
            """))
        #expect(e.blocks.map(\.status) == [.passed, .passed], "\(e.blocks.map(\.status))")
        #expect(e.blocks[0].output == "before\n")
    }
}
