import Foundation
import Testing
@testable import KilnRecipes

func fixture(_ name: String) -> String {
    let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/\(name)")
    return String(decoding: try! Data(contentsOf: url), as: UTF8.self)
}

@Suite struct GeneratorTests {
    @Test func programTextSnapshot() throws {
        let recipe = try Recipe(path: "recipes/document.md", source: fixture("document.md"))
        assertSnapshot(ProgramGenerator(nonce: "0123456789abcdef").program(for: recipe), named: "document.program.swift.txt")
    }

    @Test func standaloneSwiftSnapshot() throws {
        let recipe = try Recipe(path: "recipes/document.md", source: fixture("document.md"))
        assertSnapshot(StandaloneSwift.source(for: recipe), named: "document.swift.txt")
    }

    @Test func pathsAreEscapedInSourceLocation() throws {
        let recipe = try Recipe(path: "recipes/we\"ird.md", source: "```swift\nprint(1)\n```\n")
        let text = ProgramGenerator(nonce: "n").program(for: recipe)
        #expect(text.contains(#"#sourceLocation(file: "recipes/we\"ird.md", line: 2)"#))
    }

    @Test func splitterHandlesMarkersAcrossReads() {
        var s = OutputSplitter(secret: "abc", limit: 8)
        var markers: [BlockMarker] = []
        let stream = Array("pre\u{1E}KILN-abc begin 0 5\nhello\u{1E}KILN-abc end 0 9\n\u{1E}KILN-abc begin 1 10\n0123456789abc\u{1E}KILN-ab".utf8)
        for chunk in stride(from: 0, to: stream.count, by: 3) {
            s.feed(stream[chunk..<min(chunk + 3, stream.count)]) { markers.append($0) }
        }
        s.finish()
        #expect(markers.map(\.kind) == [.begin, .end, .begin])
        #expect(markers[1].nanoseconds == 9)
        #expect(s.text(of: -1) == "pre")
        #expect(s.text(of: 0) == "hello")
        #expect(s.text(of: 1) == "01234567\n… output truncated (5 bytes dropped)\n\u{1E}KILN-ab")
    }

    @Test func runtimeReportParsing() {
        let thrown = RuntimeReport.parse("partialSwift/ErrorType.swift:254: Fatal error: Error raised at top level: bad\nthing\nCurrent stack trace:\n0 x\n", recipePath: "recipes/x.md")
        #expect(thrown == RuntimeReport(output: "partial", isThrownError: true, message: "bad\nthing", line: nil))
        let trap = RuntimeReport.parse("hi\nKilnRecipe/x.md:12: Fatal error: boom\n", recipePath: "recipes/x.md")
        #expect(trap == RuntimeReport(output: "hi\n", isThrownError: false, message: "recipes/x.md:12: Fatal error: boom", line: 12))
        #expect(RuntimeReport.parse("all good\n", recipePath: "r.md") == nil)
    }

    @Test func normalizerIgnoresTimesAndNondeterministicOutput() {
        let a = "x\n\n```text nondeterministic\n1.0 ms\n```\n\nRunning time: 0.100 s\n\nend\n\nTotal running time of the recipe: (0 minutes 0.100 seconds)\n\nlinks\n"
        let b = "x\n\n```text nondeterministic\n2.5 ms\nmore\n```\n\nend\n\nlinks\n"
        #expect(DocumentNormalizer.normalized(a) == DocumentNormalizer.normalized(b))
        #expect(DocumentNormalizer.normalized("x\n\n```text\n1\n```\n") != DocumentNormalizer.normalized("x\n\n```text\n2\n```\n"))
    }

    @Test func junitEscapes() {
        #expect(Markup.escape("a<b & \"c\"\u{1}") == "a&lt;b &amp; &quot;c&quot;")
    }
}

@Suite(.enabled(if: TestEnvironment.canExecute, "needs libKiln.so and Modules/ next to the test bundle"))
struct RenderedDocumentTests {
    @Test func documentSnapshotWithoutTimes() throws {
        let recipe = try Recipe(path: "recipes/document.md", source: fixture("document.md"))
        let execution = TestEnvironment.executor().execute(recipe)
        #expect(execution.blocks.map(\.status) == [.passed, .passed, .passed, .shownOnly, .passed,
                                                   .failed(.thrownError("it broke")), .notRun])
        let document = DocumentRenderer(includeTimes: false).markdown(for: execution)
        assertSnapshot(document, named: "document.md")
        #expect(!document.contains("Running time"))
        let timed = DocumentRenderer(includeTimes: true).markdown(for: execution)
        #expect(timed.contains("\nRunning time: "))
        #expect(timed.contains("\nTotal running time of the recipe: (0 minutes "))
        #expect(DocumentNormalizer.normalized(timed) == DocumentNormalizer.normalized(document))
        let html = HTMLPage.render(markdown: document, title: recipe.title)
        #expect(html.contains("<title>A small recipe</title>"))
        #expect(html.contains("<pre class=\"output\"><code>the model is not ready\n</code></pre>"))
    }
}

@Suite struct RendererLayoutTests {
    func execution(_ source: String, outputs: [String]) throws -> RecipeExecution {
        let recipe = try Recipe(path: "recipes/r.md", source: source)
        return RecipeExecution(recipe: recipe, blocks: recipe.blocks.enumerated().map { i, block in
            BlockResult(block: block, status: .passed, output: outputs[i], seconds: 0.25)
        })
    }

    /// Times removed by the normaliser give exactly the --no-times document, wherever the
    /// fence sits (followed by text, by a blank line, at the end, in a quote).
    @Test(arguments: [
        "```swift\nprint(1)\n```\nText right after.\n",
        "```swift\nprint(1)\n```\n\nText after a blank.\n",
        "# End\n\n```swift\nprint(1)\n```",
        "> ```swift\n> print(1)\n> ```\n> quoted\n\nout\n",
    ])
    func normalisedTimedDocumentEqualsNoTimes(source: String) throws {
        let e = try execution(source, outputs: ["1\n"])
        let timed = DocumentRenderer(includeTimes: true).markdown(for: e)
        let untimed = DocumentRenderer(includeTimes: false).markdown(for: e)
        #expect(timed != untimed)
        #expect(DocumentNormalizer.normalized(timed) == DocumentNormalizer.normalized(untimed))
        #expect(DocumentNormalizer.normalized(untimed) == untimed)
        // Rendered HTML keeps the time line a paragraph of its own.
        #expect(CommonMark.renderHTML(timed).contains("<p>Running time: 0.250 s</p>"))
    }

    @Test func totalTimeFormat() {
        #expect(DocumentRenderer.TimeLine.total(1.2344) == "Total running time of the recipe: (0 minutes 1.234 seconds)")
        #expect(DocumentRenderer.TimeLine.total(125.5) == "Total running time of the recipe: (2 minutes 5.500 seconds)")
    }

    @Test func galleryPages() {
        let rows = [
            GalleryRenderer.Row(path: "recipes/a.md", name: "a", title: "A | pipe", status: .passed, seconds: 1),
            GalleryRenderer.Row(path: "recipes/b.md", name: "b", title: "B", status: .failed, seconds: 3),
        ]
        let timed = GalleryRenderer(includeTimes: true)
        let index = timed.index(rows)
        #expect(index.contains("| [A \\| pipe](a.md) | passed | 1.000 s |"))
        #expect(timed.index(rows, linkExtension: "html").contains("](b.html) | failed | 3.000 s |"))
        let times = timed.executionTimes(rows)
        #expect(times.range(of: "recipes/b.md")!.lowerBound < times.range(of: "recipes/a.md")!.lowerBound)
        #expect(!GalleryRenderer(includeTimes: false).index(rows).contains(" s |"))
    }
}

@Suite struct ConsoleReporterTests {
    @Test func plainLinesOffTerminal() throws {
        let lines = Locked<[String]>([])
        let reporter = ConsoleReporter(isTerminal: false) { text in lines.withLock { $0.append(text) } }
        reporter.report(.started(total: 2))
        reporter.report(.recipeStarted(path: "recipes/a.md", index: 0, total: 2))
        reporter.report(.blockStarted(path: "recipes/a.md", block: 1, of: 2, line: 3))
        reporter.report(.recipeFinished(RecipeReport(path: "recipes/a.md", name: "a", title: "A", status: .passed,
                                                     cached: false, seconds: 1.5)))
        reporter.report(.recipeFinished(RecipeReport(path: "recipes/b.md", name: "b", title: "B", status: .failed,
                                                     cached: false, seconds: 0, failure: "recipes/b.md:4: trap: x")))
        #expect(lines.withLock { $0 } == ["PASS recipes/a.md (1.500 s)\n", "FAIL recipes/b.md:4: trap: x\n"])
    }
}
