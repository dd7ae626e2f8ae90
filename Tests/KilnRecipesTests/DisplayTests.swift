import Foundation
import Kiln
import Testing
@testable import KilnRecipes

/// Shown items end to end: a recipe's charts, tables and images through the private channel
/// into its document (figure links, GFM tables) and its notebook.
@Suite(.enabled(if: TestEnvironment.canExecute, "needs libKiln.so and Modules/ next to the test bundle"))
struct DisplayDocumentTests {
    static let execution: RecipeExecution = {
        let recipe = try! Recipe(path: "recipes/figures.md", source: fixture("figures.md"))
        return TestEnvironment.executor().execute(recipe)
    }()

    @Test func itemsArriveInTheirBlocks() {
        let e = Self.execution
        #expect(e.blocks.map(\.status) == [.passed, .passed, .passed, .failed(.thrownError("it broke")), .notRun])
        #expect(e.blocks[0].output == "measured\n")
        #expect(e.blocks.map(\.displays.count) == [2, 2, 1, 1, 0])
        guard case .image(let svg, .svg, let alt) = e.blocks[0].displays[0] else { Issue.record("\(e.blocks[0].displays)"); return }
        #expect(svg == Data(Chart.bars("Fixed numbers", ["a": 1, "b": 2.5], yLabel: "time", unit: "ms").svg().utf8))
        #expect(alt.hasPrefix("Fixed numbers\n  a: 1.00 ms"))
        // The file the block saved in its working directory, and PNG bytes.
        guard case .image(let square, .svg, "a blue square") = e.blocks[1].displays[0],
              case .image(let pixel, .png, "one pixel") = e.blocks[1].displays[1] else { Issue.record("\(e.blocks[1].displays)"); return }
        #expect(String(decoding: square, as: UTF8.self).hasPrefix("<svg xmlns"))
        #expect(pixel.count == 70)
    }

    @Test func documentSnapshot() {
        let document = DocumentRenderer(includeTimes: false).markdown(for: Self.execution)
        assertSnapshot(document, named: "figures.md")
        // What a program shows stays text in the page: no link, no HTML, no emphasis.
        let html = HTMLPage.render(markdown: document, title: "t")
        #expect(html.contains("<td>*bold?*</td>") && html.contains("<td>&lt;b&gt;1&lt;/b&gt;</td>") && html.contains("<td>[link](x.md)</td>"))
        #expect(html.contains("<img src=\"images/figures_block2_") && html.contains("alt=\"a blue square\""))
        let names = DocumentRenderer().figures(for: Self.execution).map(\.name)
        #expect(names.count == 3 && names.allSatisfy { $0.range(of: #"^images/figures_block[12]_[0-9a-f]{8}\.(svg|png)$"#, options: .regularExpression) != nil })
        for name in names { #expect(document.contains("](\(name))")) }
    }

    @Test func notebookSnapshotAndNbformatValidation() throws {
        let notebook = NotebookRenderer.notebook(for: Self.execution)
        assertSnapshot(notebook, named: "figures.ipynb")
        let json = try #require(try JSONSerialization.jsonObject(with: Data(notebook.utf8)) as? [String: Any])
        let cells = try #require(json["cells"] as? [[String: Any]])
        let code = cells.filter { $0["cell_type"] as? String == "code" }
        #expect(code.map { $0["execution_count"] as? Int } == [1, 2, 3, 4, nil])
        let failed = try #require(code[3]["outputs"] as? [[String: Any]])
        #expect(failed.map { $0["output_type"] as? String } == ["display_data", "error"])
        #expect(failed[1]["ename"] as? String == "ThrownError" && failed[1]["evalue"] as? String == "thrown error: it broke")
        let images = try #require(code[1]["outputs"] as? [[String: Any]]).compactMap { $0["data"] as? [String: Any] }
        #expect(images[0]["image/svg+xml"] != nil && images[1]["image/png"] as? String == "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==")
        #expect(Set(cells.compactMap { $0["id"] as? String }).count == cells.count)

        if let reason = NbformatValidator.unavailable { print(reason); return }
        let path = TestEnvironment.temporaryDirectory() + "/figures.ipynb"
        try notebook.write(toFile: path, atomically: true, encoding: .utf8)
        #expect(NbformatValidator.problems([path]) == [])
    }
}

/// Every notebook committed in the repository's `output/` is valid nbformat 4.5.
@Suite struct CommittedNotebookTests {
    @Test func everyCommittedNotebookValidates() throws {
        let output = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("output").path
        let notebooks = try FileManager.default.contentsOfDirectory(atPath: output).filter { $0.hasSuffix(".ipynb") }.sorted()
        let recipes = try FileManager.default.contentsOfDirectory(atPath: output).filter { $0.hasSuffix(".source.md") }
        #expect(notebooks.count == recipes.count, "one notebook per recipe in output/")
        if let reason = NbformatValidator.unavailable { print(reason); return }
        #expect(NbformatValidator.problems(notebooks.map { output + "/" + $0 }) == [])
    }
}

@Suite struct DisplayRenderingTests {
    @Test func cellsAndAltTextAreEscaped() {
        #expect(DisplayMarkdown.escape("a|b *c* <d> [e](f) `g` \\ ~h~\nnext") == #"a\|b \*c\* \<d\> \[e\](f) \`g\` \\ \~h\~ next"#)
        #expect(DisplayMarkdown.table(.init(headers: [], rows: [["1", "2"], ["3"]])) == ["| 1 | 2 |", "|---|---|", "| 1 | 2 |", "| 3 |  |"])
    }

    @Test func jsonIsWrittenAsPythonWritesIt() {
        let value = JSONValue.object(["b": .array([.int(1), .null, .bool(true)]), "a": .string("é\"\\\n\u{1}"), "c": .object([:]), "d": .array([])])
        #expect(value.text == "{\n \"a\": \"é\\\"\\\\\\n\\u0001\",\n \"b\": [\n  1,\n  null,\n  true\n ],\n \"c\": {},\n \"d\": []\n}\n")
    }

    @Test func nondeterministicOutputsAreIgnoredInNotebooks() {
        func notebook(_ output: String, nondeterministic: Bool) -> String {
            let meta = nondeterministic ? #"{"kiln": {"nondeterministic": true}}"# : "{}"
            return #"{"cells": [{"cell_type": "code", "metadata": \#(meta), "outputs": [{"text": "\#(output)"}]}]}"#
        }
        #expect(NotebookNormalizer.firstDifference(committed: notebook("1 ms", nondeterministic: true), fresh: notebook("2 ms", nondeterministic: true)) == nil)
        #expect(NotebookNormalizer.firstDifference(committed: notebook("1", nondeterministic: false), fresh: notebook("2", nondeterministic: false)) != nil)
        #expect(NotebookNormalizer.firstDifference(committed: "not json", fresh: notebook("2", nondeterministic: false)) == "  committed: (not a notebook)")
    }

    @Test func thumbnailsScaleTheFigure() {
        let svg = GalleryThumbnail.svg(figure: Data(Chart.bars("t", ["a": 1]).svg().utf8))
        #expect(svg.hasPrefix("<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"200\" height=\"113\" viewBox=\"0 0 640 360\">"))
        #expect(svg.contains("href=\"data:image/svg+xml;base64,"))
        let png = Data(base64Encoded: "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==")!
        #expect(GalleryThumbnail.svg(figure: png).contains("width=\"200\" height=\"200\" viewBox=\"0 0 1 1\""))
        let size = GalleryThumbnail.svgSize("<svg width='30px' height=\"20\">")
        #expect(size?.0 == 30 && size?.1 == 20)
    }
}
