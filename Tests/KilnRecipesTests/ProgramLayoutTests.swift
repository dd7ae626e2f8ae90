import Foundation
import Testing
@testable import KilnRecipes

/// The function layout (issue 15 item 12): shared declarations at file scope, each block's
/// statements in its own function, so compile time grows linearly with the blocks. Programs
/// behave as the top-level layout's did: state is shared, side effects run in document order,
/// errors and traps belong to the block and line that caused them.
struct ProgramLayoutTests {
    func recipe(_ blocks: [String]) throws -> Recipe {
        try Recipe(path: "recipes/x.md", source: "# L\n\n" + blocks.map { "```swift\n\($0)```\n\n" }.joined())
    }

    @Test func classifiesTopLevelItemsBySyntax() throws {
        let code = """
            let a = 1; print(a)
            // let inside a comment
            func f() -> Int { let local = 2; return local }
            var (b, c) = (2, "let d = 3")
            let e = try g(), h = 4
            struct S { var x = try? g() }
            let _ = f()
            var computed: Int { a + 1 }
            for i in 0..<2 { print(i) }

            """
        let pieces = try #require(BlockSplitter.split(code, tryFunction: "T"))
        #expect(pieces.map(\.isDeclaration) == [true, false, true, true, true, true, false, true, false])
        #expect(pieces[1] == .init(isDeclaration: false, text: "print(a)", line: 0, column: 12))
        #expect(pieces[3].initializedNames == ["b"])
        #expect(pieces[4].text == "let e = T { try g() }, h = 4")
        #expect(pieces[4].initializedNames == ["e", "h"])
        #expect(pieces[5].initializedNames.isEmpty && pieces[7].initializedNames.isEmpty)
        #expect(pieces[6].text == "let _ = f()")
        #expect(pieces[8].line == 8)
    }

    @Test(arguments: ["guard let x = Int(\"1\") else { fatalError() }\n", "defer { print(1) }\n",
                      "let y = await f()\n", "for await x in s { }\n", "var z: Int\n", "@Wrapped var w = 1\n",
                      "#if os(Linux)\nlet q = 1\n#endif\n", "lazy var l = 1\n", "let p = (1\n"])
    func codeTheFunctionLayoutCannotHoldFallsBack(code: String) throws {
        #expect(BlockSplitter.split(code, tryFunction: "T") == nil)
        #expect(ProgramGenerator(nonce: "n").generate(for: try recipe(["print(1)\n", code])).layout == .topLevel)
    }

    @Test func awaitInsideClosuresAndAsyncFunctionsIsFine() throws {
        let code = "func f() async -> Int { await g() }\nTask { await f() }\nlet t = Task { await f() }\n"
        #expect(BlockSplitter.split(code, tryFunction: "T")?.count == 3)
    }

    @Test func programUsesTheFunctionLayoutWhenEveryBlockSplits() throws {
        let program = ProgramGenerator(nonce: "n").generate(for: try recipe(["let a = 1\nprint(a)\n", "print(a + 1)\n"]))
        #expect(program.layout == .functions)
        #expect(program.compilerFlags == ["-parse-as-library"])
        #expect(program.source.contains("#sourceLocation(file: \"recipes/x.md\", line: 4)\nlet a = 1\n#sourceLocation()\n"))
        #expect(program.source.contains("__kiln_n_next(0, 1)\n#sourceLocation(file: \"recipes/x.md\", line: 9)\nprint(a + 1)\n"))
    }
}

/// The function layout compiled and run.
@Suite(.enabled(if: TestEnvironment.canExecute, "needs libKiln.so and Modules/ next to the test bundle"))
struct ProgramLayoutExecutionTests {
    func run(_ source: String) throws -> RecipeExecution {
        TestEnvironment.executor().execute(try Recipe(path: "recipes/x.md", source: source))
    }

    @Test func declarationsAreSharedAndInitializersRunInDocumentOrder() throws {
        let e = try run("""
            # Order

            ```swift
            print("one")
            var counter = { print("init counter"); return 10 }()
            func bump() { counter += 1 }
            struct Point { var x: Int }
            extension Point { var doubled: Int { x * 2 } }
            print("two")
            ```

            ```swift
            bump()
            let p = Point(x: counter)
            print(p.doubled)
            let (q, r) = (p.x, { print("init q r"); return 3 }())
            print(q + r)
            ```
            """)
        #expect(e.passed, "\(e.blocks)")
        #expect(e.blocks.map(\.output) == ["one\ninit counter\ntwo\n", "22\ninit q r\n14\n"])
    }

    @Test func throwingInitializerIsAThrownErrorOfItsBlock() throws {
        let e = try run("""
            # Throw

            ```swift
            struct Failure: Error {}
            func load() throws -> Int { throw Failure() }
            print("ok")
            ```

            ```swift
            print("before")
            let value = try load()
            print(value)
            ```
            """)
        #expect(e.blocks[0].status == .passed)
        #expect(e.blocks[1].status == .failed(.thrownError("KilnRecipe.Failure()")), "\(e.blocks[1])")
        #expect(e.blocks[1].output == "before\n")
    }

    @Test func trapsAndCompileErrorsNameTheirLines() throws {
        let trap = try run("# T\n\n```swift\nlet xs = [1]\n\nlet bad = Int(\"x\")! + xs[0]\n```\n")
        guard case .failed(.trap(let message)) = trap.blocks[0].status else { Issue.record("\(trap.blocks)"); return }
        #expect(message.hasPrefix("recipes/x.md:6: Fatal error: Unexpectedly found nil"), "\(message)")
        #expect(trap.blocks[0].failureLine == 6)

        let compile = try run("# C\n\n```swift\nlet a = 1\n```\n\n```swift\nprint(a)\n   let z: Int = \"s\"\n```\n")
        guard case .failed(.compileError(let text)) = compile.blocks[1].status else { Issue.record("\(compile.blocks)"); return }
        #expect(text.contains("recipes/x.md:9:17: error:"), "\(text)")
        #expect(compile.blocks[1].failureLine == 9)
    }

    @Test func topLevelLayoutStillRunsWhatTheFunctionLayoutCannotHold() throws {
        let e = try run("# G\n\n```swift\nguard let n = Int(\"4\") else { fatalError() }\n```\n\n```swift\nprint(n * 2)\n```\n")
        #expect(e.passed, "\(e.blocks)")
        #expect(e.blocks[1].output == "8\n")
    }

    @Test func manyBlocksRunInOrder() throws {
        let blocks = (0..<300).map { "```swift\nlet v\($0) = \($0)\nprint(v\($0)\($0 > 0 ? " + v\($0 - 1)" : ""))\n```\n" }
        let e = try run("# Many\n\n" + blocks.joined(separator: "\n"))
        #expect(e.passed)
        #expect(e.blocks.map(\.output) == (0..<300).map { "\($0 + max($0 - 1, 0))\n" })
    }
}
