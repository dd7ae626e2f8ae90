import Foundation
import Kiln
import Testing
@testable import KilnRecipes

extension RunnerTests {
    /// Figures land in output/images under hashed names, the gallery shows thumbnails, verify
    /// ignores a nondeterministic chart's content but not a deterministic figure's, and a
    /// figure a new run no longer shows is removed.
    @Test func figuresThumbnailsNotebooksAndVerify() throws {
        let charted = """
            # Charted

            ```swift
            show(chart: Chart.bars("Fixed", ["a": 1, "b": 2], unit: "ms"))
            ```

            ```swift nondeterministic
            show(chart: Chart.bars("Random", ["r": Double.random(in: 1...2)], unit: "ms"))
            ```
            """
        try write("charted.md", charted)
        try write("alpha.md", fixture("gallery/alpha.md"))
        #expect(try runner().run([recipes]).exitCode == 0)
        let document = read("charted.md")!
        let figures = RecipeRunner.figureLinks(in: document)
        #expect(figures.count == 2 && figures.allSatisfy { read($0)?.hasPrefix("<svg") == true })
        #expect(document.contains("[Download Jupyter notebook: charted.ipynb](charted.ipynb)"))
        #expect(read("charted.ipynb")?.contains("\"nbformat_minor\": 5") == true)
        let index = read("index.md")!
        #expect(index.contains("| [![Charted](images/charted_thumbnail.svg)](charted.md) | [Charted](charted.md) | passed |"))
        #expect(index.contains("| [![Alpha](images/placeholder.svg)](alpha.md) |"))
        #expect(index.contains("[charted.ipynb](charted.ipynb) |"))
        #expect(read("images/charted_thumbnail.svg")?.contains("width=\"200\"") == true)
        #expect(read("images/placeholder.svg")?.contains("no figure") == true)
        #expect(read("execution_times.html")?.contains("<a href=\"charted.html\">") == true)
        #expect(read("index.html")?.contains("<img src=\"images/charted_thumbnail.svg\" alt=\"Charted\" />") == true)

        // The random chart differs in every run: verify compares only its place.
        #expect(try runner().verify([recipes], check: true).failureClass == nil)
        // A deterministic figure that is missing is stale, as is a linked one that is gone.
        let fixed = output + "/" + figures[0]
        let saved = try Data(contentsOf: URL(fileURLWithPath: fixed))
        try FileManager.default.removeItem(atPath: fixed)
        let stale = try runner().verify([recipes], check: true)
        #expect(stale.failureClass == .stale && stale.stale.first?.staleFiles.contains(fixed) == true, "\(stale.text)")
        try saved.write(to: URL(fileURLWithPath: fixed))
        try FileManager.default.removeItem(atPath: output + "/" + figures[1])
        #expect(try runner().verify([recipes], check: true).failureClass == .stale)

        // A changed chart gets a new name; the old file goes.
        try write("charted.md", charted.replacingOccurrences(of: "\"b\": 2", with: "\"b\": 3"))
        #expect(try runner().run([recipes]).exitCode == 0)
        let now = RecipeRunner.figureLinks(in: read("charted.md")!)
        #expect(now[0] != figures[0] && read(now[0]) != nil && read(figures[0]) == nil)

        // Figures an earlier run left that the cache manifest does not know (a fresh clone):
        // verify --check calls them stale, and the next run removes them. Files that only look
        // like figures, and figures of recipes this run does not regenerate, stay.
        let left = ["images/charted_block1_0123abcd.svg", "images/charted_block9_ffffffff.png"]
        let kept = ["images/charted_block1_0123ABCD.svg", "images/charted_block1_0123abcd.svg.bak", "images/charted_blockX_0123abcd.svg",
                    "images/gamma_block1_0123abcd.svg", "images/notes.svg"]
        for name in left + kept { try Data("<svg/>".utf8).write(to: URL(fileURLWithPath: output + "/" + name)) }
        try FileManager.default.removeItem(atPath: output + "/.kiln-cache.json")
        let check = try runner().verify([recipes], check: true)
        #expect(check.failureClass == .stale, "\(check.text)")
        #expect(Set(check.stale.flatMap(\.staleFiles)).isSuperset(of: left.map { output + "/" + $0 }), "\(check.text)")
        #expect(try runner(force: true).run([recipes]).exitCode == 0)
        for name in left { #expect(read(name) == nil, "\(name) was left") }
        for name in kept { #expect(read(name) != nil, "\(name) was removed") }
    }

    @Test func figureNamesAreTheRunners() {
        #expect(OutputFileNames.figureOwner("images/x_block3_1a2b3c4d.svg") == "x")
        #expect(OutputFileNames.figureOwner("images/a_block1_block22_00000000.png") == "a_block1")
        for name in ["images/x_block3_1A2B3C4D.svg", "images/x_block_1a2b3c4d.svg", "images/_block3_1a2b3c4d.svg",
                     "x_block3_1a2b3c4d.svg", "images/x_block3_1a2b3c4.svg", "images/x_block3_1a2b3c4d.gif", "images/x_block٣_1a2b3c4d.svg"] {
            #expect(OutputFileNames.figureOwner(name) == nil, "\(name)")
        }
        #expect(OutputFileNames.isRunnerFile("images/y_thumbnail.svg") && OutputFileNames.isRunnerFile("index.html"))
        #expect(!OutputFileNames.isRunnerFile("images/plot.svg"))
    }
}
