import Foundation
import Kiln
import Testing
@testable import KilnRecipes

/// End-to-end runs of the runner on temporary recipe folders.
@Suite(.enabled(if: TestEnvironment.canExecute, "needs libKiln.so and Modules/ next to the test bundle"))
final class RunnerTests {
    let root = TestEnvironment.temporaryDirectory()
    var recipes: String { root + "/recipes" }
    var output: String { root + "/output" }

    init() throws {
        try FileManager.default.createDirectory(atPath: root + "/recipes", withIntermediateDirectories: true)
    }

    deinit {
        try? FileManager.default.removeItem(atPath: root)
    }

    func write(_ name: String, _ text: String) throws {
        try text.write(toFile: recipes + "/" + name, atomically: true, encoding: .utf8)
    }

    func read(_ name: String) -> String? {
        FileManager.default.contents(atPath: output + "/" + name).map { String(decoding: $0, as: UTF8.self) }
    }

    func runner(force: Bool = false, times: Bool = true, jobs: Int = 1, identity: String = "build-1",
                events: Locked<[RunEvent]>? = nil) -> RecipeRunner {
        var options = RunOptions()
        options.outputDirectory = output
        options.kilnBuildDirectory = TestEnvironment.buildDirectory!
        options.toolchain = TestEnvironment.toolchain
        options.buildIdentity = identity
        options.force = force
        options.includeTimes = times
        options.jobs = jobs
        let reporter = events.map { log in ClosureReporter { e in log.withLock { $0.append(e) } } }
        return RecipeRunner(options, reporter: reporter)
    }

    @Test func runWritesDocumentsGalleryAndCaches() throws {
        try write("alpha.md", fixture("gallery/alpha.md"))
        try write("beta.md", fixture("gallery/beta.md"))
        let events = Locked<[RunEvent]>([])
        let first = try runner(jobs: 2, events: events).run([recipes])
        #expect(first.executed == 2 && first.cached == 0 && first.exitCode == 0, "\(first.text)")
        for file in ["alpha.md", "alpha.html", "alpha.swift", "alpha.source.md", "beta.md", "index.md",
                     "index.html", "execution_times.md", CacheManifest.fileName] {
            #expect(read(file) != nil, "missing \(file)")
        }
        let alpha = read("alpha.md")!
        #expect(alpha.hasPrefix("<!-- generated from \(recipes)/alpha.md by kiln run; do not edit -->\n"))
        #expect(alpha.contains("```text\nhello\n```") && alpha.contains("```text\n5\n```"))
        #expect(alpha.contains("Total running time of the recipe: (0 minutes "))
        #expect(read("alpha.source.md") == fixture("gallery/alpha.md"))
        #expect(read("index.md")!.contains("| [Beta \\| with a pipe](beta.md) | passed |"))
        #expect(read("index.html")!.contains("<a href=\"beta.html\">Beta | with a pipe</a>"))
        let log = events.withLock { $0 }
        #expect(log.contains { if case .blockStarted(_, 2, 2, _) = $0 { return true } else { return false } })
        #expect(log.contains { if case .compiling = $0 { return true } else { return false } })

        // Unchanged: both cached, documents kept byte for byte.
        let second = try runner().run([recipes])
        #expect(second.executed == 0 && second.cached == 2)
        #expect(read("alpha.md") == alpha)
        #expect(second.recipes.first { $0.name == "alpha" }!.seconds == first.recipes.first { $0.name == "alpha" }!.seconds)
        #expect(second.text.hasPrefix("Executed 0 of 2 recipes (2 cached, 0 failed)"))

        // A changed source, a new Kiln build or --force re-run.
        try write("alpha.md", fixture("gallery/alpha.md") + "\nOne more line.\n")
        #expect(try runner().run([recipes]).executed == 1)
        #expect(try runner(identity: "build-2").run([recipes]).executed == 2)
        #expect(try runner(force: true, identity: "build-2").run([recipes]).executed == 2)
    }

    @Test func noTimesIsByteIdenticalAcrossRuns() throws {
        try write("alpha.md", fixture("gallery/alpha.md"))
        try write("beta.md", fixture("gallery/beta.md"))
        let files = ["alpha.md", "alpha.html", "alpha.swift", "beta.md", "beta.html", "index.md", "index.html", "execution_times.md"]
        _ = try runner(times: false, jobs: 2).run([recipes])
        let first = files.map { read($0) }
        _ = try runner(force: true, times: false).run([recipes])
        #expect(files.map { read($0) } == first)
        #expect(!first[0]!.contains("Running time"))
    }

    @Test func failingRecipeIsWrittenWithTheFailureAndInvalidOneKeepsItsDocument() throws {
        try write("alpha.md", fixture("gallery/alpha.md"))
        #expect(try runner().run([recipes]).exitCode == 0)
        let good = read("alpha.md")!

        // A block now fails: the document is replaced, atomically, by the truth.
        try write("alpha.md", fixture("gallery/alpha.md").replacingOccurrences(of: "print(greeting.count)", with: "fatalError(\"nope\")"))
        let failed = try runner().run([recipes])
        #expect(failed.failureClass == .recipe && failed.exitCode == 70)
        #expect(failed.failures.first?.failure == "\(recipes)/alpha.md:9: trap: \(recipes)/alpha.md:9: Fatal error: nope")
        #expect(read("alpha.md")! != good && read("alpha.md")!.contains("**Failed** at \(recipes)/alpha.md:9:"))
        #expect(read("index.md")!.contains("| failed |"))
        // A failed recipe is never cached.
        #expect(try runner().run([recipes]).executed == 1)
        let doc = read("alpha.md")!

        // Unparseable: reported as bad input, its previous document untouched.
        try write("alpha.md", "# Alpha\n\n```swift no-rum\nprint(1)\n```\n")
        let invalid = try runner().run([recipes])
        #expect(invalid.failureClass == .badInput)
        #expect(invalid.failures.first?.failure?.contains("alpha.md:3: unknown block option `no-rum`\nSuggested fix: did you mean `no-run`?") == true)
        #expect(read("alpha.md") == doc)
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: output).filter { $0.contains(".tmp-") }
        #expect(leftovers.isEmpty)
    }

    @Test func unwritableOutputIsAnOutputError() throws {
        try write("alpha.md", fixture("gallery/alpha.md"))
        _ = try runner(times: false).run([recipes])
        // A directory where the gallery page goes: renaming over it fails (even as root).
        try FileManager.default.removeItem(atPath: output + "/index.html")
        try FileManager.default.createDirectory(atPath: output + "/index.html/x", withIntermediateDirectories: true)
        let summary = try runner(force: true, times: false).run([recipes])
        #expect(summary.failureClass == .output && summary.exitCode == 73)
        #expect(summary.outputErrors.first?.message.hasPrefix("cannot write \(output)/index.html") == true)
        #expect(try FileManager.default.contentsOfDirectory(atPath: output).filter { $0.contains(".tmp-") }.isEmpty)
    }

    @Test func atomicWriteFailureLeavesTheOldFile() throws {
        let path = root + "/doc.md"
        try AtomicFile.write("good\n", to: path)
        try FileManager.default.createDirectory(atPath: root + "/blocker", withIntermediateDirectories: true)
        try "keep".write(toFile: root + "/blocker/f", atomically: true, encoding: .utf8)
        #expect(throws: RecipeError.self) { try AtomicFile.write("new", to: root + "/blocker") }
        #expect(try String(contentsOfFile: path, encoding: .utf8) == "good\n")
        #expect(try FileManager.default.contentsOfDirectory(atPath: root).sorted() == ["blocker", "doc.md", "recipes"])
    }

    @Test func verifyWritesNothingButJUnitAndChecksStaleness() throws {
        try write("alpha.md", fixture("gallery/alpha.md"))
        try write("broken.md", "# Broken\n\n```swift\nprint(\"ok\")\n```\n\n```swift\nthrow CocoaError(.fileNoSuchFile)\n```\n")
        let junit = root + "/junit.xml"
        let summary = try runner().verify([recipes], junit: junit, check: false)
        #expect(!FileManager.default.fileExists(atPath: output))
        #expect(summary.executed == 2 && summary.failureClass == .recipe)
        let xml = try String(contentsOfFile: junit, encoding: .utf8)
        #expect(xml.contains(#"<testsuite name="recipes" tests="2" failures="1""#))
        #expect(xml.contains(#"<testcase classname="recipes" name="\#(recipes)/alpha.md""#))
        #expect(xml.contains(#"<failure type="block failed" message="\#(recipes)/broken.md:7: thrown error: "#))

        // --check: fresh output passes; an edited document (or a missing one) is stale.
        try FileManager.default.removeItem(atPath: recipes + "/broken.md")
        _ = try runner().run([recipes])
        #expect(try runner().verify([recipes], check: true).failureClass == nil)
        try (read("alpha.md")! + "edited\n").write(toFile: output + "/alpha.md", atomically: true, encoding: .utf8)
        let stale = try runner().verify([recipes], check: true)
        #expect(stale.failureClass == .stale && stale.exitCode == 71)
        #expect(stale.stale.map(\.name) == ["alpha"])
        #expect(stale.text.contains("STALE \(recipes)/alpha.md"))
        #expect(stale.text.contains("\n  committed: edited\n  fresh:     "))
    }

    @Test func discoveryAndFilter() throws {
        try write("a_one.md", "# A\n")
        try write("b_two.md", "# B\n")
        try FileManager.default.createDirectory(atPath: recipes + "/.hidden", withIntermediateDirectories: true)
        try "# H\n".write(toFile: recipes + "/.hidden/h.md", atomically: true, encoding: .utf8)
        #expect(try RecipeDiscovery.find([recipes + "/"]) == [recipes + "/a_one.md", recipes + "/b_two.md"])
        #expect(try RecipeDiscovery.filter(RecipeDiscovery.find([recipes]), pattern: "two$|b_") == [recipes + "/b_two.md"])
        #expect(throws: RecipeError.self) { try RecipeDiscovery.find([root + "/nope"]) }
        #expect(throws: RecipeError.self) { try RecipeDiscovery.filter([], pattern: "(") }
        var options = RunOptions()
        options.filter = "a_"
        options.outputDirectory = output
        options.kilnBuildDirectory = TestEnvironment.buildDirectory!
        options.toolchain = TestEnvironment.toolchain
        let summary = try RecipeRunner(options).run([recipes])
        #expect(summary.recipes.map(\.name) == ["a_one"] && summary.discovered == 2)
    }
}
