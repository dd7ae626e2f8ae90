import Foundation
import Testing
@testable import KilnRecipes

/// Hand-edited output. Decision: `kiln run` re-runs a recipe any of whose files in the output
/// folder no longer holds what it wrote (the manifest keeps each file's SHA-256), and `verify
/// --check` compares every generated file: the document (times and `nondeterministic` output
/// aside), its HTML (which must be the committed document's rendering), the Swift and source
/// copies byte for byte, and the gallery (`index.md`, `index.html`, `execution_times.md`, times
/// aside). Messages name the actual `--output` folder.
@Suite(.enabled(if: TestEnvironment.canExecute, "needs libKiln.so and swiftc"))
final class HostileStaleTests {
    let root = TestEnvironment.temporaryDirectory()
    var recipes: String { root + "/recipes" }
    /// Not called `output`, so a message that says `output/` is caught.
    var docs: String { root + "/docs" }

    init() throws {
        try FileManager.default.createDirectory(atPath: recipes, withIntermediateDirectories: true)
        try "# Alpha\n\n```swift\nprint(\"hello\")\n```\n".write(toFile: recipes + "/alpha.md", atomically: true, encoding: .utf8)
        try "# Beta\n\n```swift\nprint(2)\n```\n".write(toFile: recipes + "/beta.md", atomically: true, encoding: .utf8)
    }

    deinit { try? FileManager.default.removeItem(atPath: root) }

    func runner() -> RecipeRunner {
        var options = RunOptions()
        options.outputDirectory = docs
        options.kilnBuildDirectory = TestEnvironment.buildDirectory!
        options.toolchain = TestEnvironment.toolchain
        options.buildIdentity = "stale"
        return RecipeRunner(options)
    }

    func edit(_ name: String) throws {
        let path = docs + "/" + name
        let text = try String(contentsOfFile: path, encoding: .utf8)
        try (text + "hand-edited\n").write(toFile: path, atomically: true, encoding: .utf8)
    }

    static let files = ["alpha.md", "alpha.html", "alpha.swift", "alpha.source.md"]
    static let gallery = ["index.md", "index.html", "execution_times.md"]

    @Test(arguments: files)
    func runNoticesAHandEditedFile(_ name: String) throws {
        #expect(try runner().run([recipes]).executed == 2)
        let written = try String(contentsOfFile: docs + "/" + name, encoding: .utf8)
        try edit(name)
        let again = try runner().run([recipes])
        #expect(again.executed == 1 && again.cached == 1, "\(again.text)")
        #expect(again.recipes.first { $0.name == "alpha" }?.cached == false)
        if name != "alpha.md" && name != "alpha.html" {  // the others hold no times
            #expect(try String(contentsOfFile: docs + "/" + name, encoding: .utf8) == written)
        }
        #expect(try runner().run([recipes]).cached == 2)
    }

    @Test(arguments: files + gallery)
    func checkComparesEveryGeneratedFile(_ name: String) throws {
        #expect(try runner().run([recipes]).exitCode == 0)
        // Fresh times differ from the committed ones: not stale.
        let fresh = try runner().verify([recipes], check: true)
        #expect(fresh.failureClass == nil, "\(fresh.text)")
        try edit(name)
        let stale = try runner().verify([recipes], check: true)
        #expect(stale.failureClass == .stale && stale.exitCode == 71, "\(stale.text)")
        #expect(stale.text.contains("\(docs)/\(name)"), "\(stale.text)")
        #expect(!stale.text.contains(" output/"), "\(stale.text)")
        #expect(stale.error?.suggestion?.contains("commit \(docs)/") == true, "\(String(describing: stale.error))")
    }
}
