import Foundation
import Kiln
import Testing
@testable import KilnRecipes

/// Recipe parameters, papermill-style (issue 14 item 6): a ```swift parameters block with
/// defaults, replaced by `kiln run -p name=value`.
struct ParameterTests {
    let source = """
        # Params

        ```swift parameters
        let batch = 1
        let scale: Double = 2
        var verbose = false
        let model = "resnet18" // a comment
        ```

        ```swift
        print(batch, scale, verbose, model)
        ```
        """

    @Test func declaredParametersHaveTypesAndLines() throws {
        let parameters = try Recipe(path: "recipes/p.md", source: source).parameters()
        #expect(parameters.map(\.name) == ["batch", "scale", "verbose", "model"])
        #expect(parameters.map(\.kind) == [.int, .double, .bool, .string])
        #expect(parameters.map(\.line) == [4, 5, 6, 7])
        #expect(parameters[3].defaultValue == "\"resnet18\"")
    }

    @Test func valuesAreWrittenAsTypedLiterals() throws {
        let recipe = try Recipe(path: "recipes/p.md", source: source)
            .injecting(["batch": "8", "scale": "1e-3", "verbose": "true", "model": "res\"net\\34"])
        #expect(recipe.blocks[0].code == "let batch = 8\nlet scale: Double = 0.001\nvar verbose = true\nlet model = \"res\\\"net\\\\34\" // a comment\n")
        #expect(recipe.injectedParameters["batch"] == "8")
        #expect(recipe.blocks[1].code == "print(batch, scale, verbose, model)\n")
    }

    @Test func unknownParameterListsTheKnownOnes() throws {
        let recipe = try Recipe(path: "recipes/p.md", source: source)
        #expect {
            try recipe.injecting(["bacth": "8"])
        } throws: { error in
            let e = error as! RecipeError
            return e.failureClass == .usage
                && e.message == "recipes/p.md: unknown parameter `bacth` (-p bacth=…): it declares `batch` (Int), `scale` (Double), `verbose` (Bool), `model` (String)"
                && e.suggestion?.hasPrefix("Suggested fix: did you mean `batch`?") == true
        }
        #expect(throws: RecipeError.self) { try Recipe(path: "r.md", source: "```swift\nprint(1)\n```\n").injecting(["batch": "8"]) }
    }

    @Test(arguments: [("batch", "eight", "an Int"), ("batch", "2.5", "an Int"), ("scale", "fast", "a Double"),
                      ("scale", "inf", "a Double"), ("verbose", "yes", "a Bool")])
    func valueOfTheWrongTypeNamesParameterAndType(name: String, value: String, type: String) throws {
        let recipe = try Recipe(path: "recipes/p.md", source: source)
        #expect {
            try recipe.injecting([name: value])
        } throws: { error in
            let e = error as! RecipeError
            return e.failureClass == .usage && e.message.contains("parameter `\(name)` is \(type), and `\(value)` is not one")
                && e.message.hasPrefix("recipes/p.md:")
        }
    }

    @Test(arguments: ["let batch = compute()\n", "print(1)\n", "let batch: Float = 1\n", "let (a, b) = (1, 2)\n",
                      "let s = \"a\\(x)\"\n", "let a = 1\nlet a = 2\n"])
    func parametersBlockHoldsOnlyLiteralDeclarations(code: String) {
        #expect {
            try Recipe(path: "recipes/p.md", source: "# P\n\n```swift parameters\n\(code)```\n")
        } throws: { error in
            let e = error as! RecipeError
            return e.failureClass == .badInput && e.message.hasPrefix("recipes/p.md:") && e.message.contains("the parameters block")
        }
    }

    @Test func onlyOneRunningParametersBlock() {
        #expect(throws: RecipeError.self) { try Recipe(path: "p.md", source: "```swift parameters\nlet a = 1\n```\n\n```swift parameters\nlet b = 1\n```\n") }
        #expect(throws: RecipeError.self) { try Recipe(path: "p.md", source: "```swift parameters no-run\nlet a = 1\n```\n") }
    }
}

/// `-p` end to end: the program sees the values, the document records them, the cache keys on them.
@Suite(.enabled(if: TestEnvironment.canExecute, "needs libKiln.so and Modules/ next to the test bundle"))
final class ParameterRunTests {
    let root = TestEnvironment.temporaryDirectory()

    deinit { try? FileManager.default.removeItem(atPath: root) }

    func run(_ parameters: [String: String]) throws -> RunSummary {
        var options = RunOptions()
        options.outputDirectory = root + "/output"
        options.kilnBuildDirectory = TestEnvironment.buildDirectory!
        options.toolchain = TestEnvironment.toolchain
        options.buildIdentity = "params"
        options.parameters = parameters
        return try RecipeRunner(options).run([root + "/recipes"])
    }

    @Test func parametersReachTheProgramTheDocumentAndTheCache() throws {
        try FileManager.default.createDirectory(atPath: root + "/recipes", withIntermediateDirectories: true)
        try "# P\n\n```swift parameters\nlet batch = 1\nlet model = \"resnet18\"\n```\n\n```swift\nprint(model, batch * 2)\n```\n"
            .write(toFile: root + "/recipes/p.md", atomically: true, encoding: .utf8)
        let plain = try run([:])
        #expect(plain.executed == 1)
        let given = try run(["batch": "8", "model": "resnet34"])
        #expect(given.executed == 1 && given.cached == 0, "parameters must be part of the cache key")
        let document = try String(contentsOfFile: root + "/output/p.md", encoding: .utf8)
        #expect(document.contains("```text\nresnet34 16\n```"))
        #expect(document.contains("*Parameters given with `kiln run -p`:* `batch=8`, `model=resnet34`"))
        #expect(try run(["batch": "8", "model": "resnet34"]).cached == 1)
        #expect(try run([:]).executed == 1)
        #expect {
            try self.run(["batch": "eight"])
        } throws: { error in (error as? RecipeError)?.failureClass == .usage }
    }
}
