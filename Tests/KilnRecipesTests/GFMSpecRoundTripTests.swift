import Foundation
import Testing
@testable import KilnRecipes

/// Every example of the GitHub-Flavored-Markdown spec (Debian's `cmark-gfm` package ships it as
/// `spec.txt.gz`; `make test` installs it) as a recipe: its regenerated document must render
/// as the example does, followed by the document's footer, so a recipe's prose comes through
/// whatever Markdown it uses (issue 14 item 8).
struct GFMSpecRoundTripTests {
    static let specPath = "/usr/share/doc/cmark-gfm/spec.txt.gz"

    /// The spec's examples: (number, Markdown).
    static func examples() throws -> [(Int, String)] {
        let gunzip = Process()
        gunzip.executableURL = URL(fileURLWithPath: "/bin/gzip")
        gunzip.arguments = ["-dc", specPath]
        let pipe = Pipe()
        gunzip.standardOutput = pipe
        try gunzip.run()
        let text = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        gunzip.waitUntilExit()
        let fence = String(repeating: "`", count: 32)
        var examples: [(Int, String)] = []
        var markdown: [Substring]?
        var inHTML = false
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            if line.hasPrefix(fence + " example") {
                markdown = []
                inHTML = false
            } else if markdown != nil && line == fence {
                examples.append((examples.count + 1, markdown!.map { $0 + "\n" }.joined().replacingOccurrences(of: "→", with: "\t")))
                markdown = nil
            } else if markdown != nil && line == "." {
                inHTML = true
            } else if markdown != nil && !inHTML {
                markdown!.append(line)
            }
        }
        return examples
    }

    @Test(.enabled(if: FileManager.default.fileExists(atPath: specPath),
                   "needs \(specPath) from Debian's cmark-gfm package (make test installs it)"))
    func everySpecExampleRendersAsItselfInItsDocument() throws {
        let examples = try Self.examples()
        #expect(examples.count > 600, "parsed only \(examples.count) examples")
        let footer = CommonMark.renderHTML("[Download the recipe source: spec.source.md](spec.source.md)\n\n[Download Swift source code: spec.swift](spec.swift)\n\n[Download Jupyter notebook: spec.ipynb](spec.ipynb)\n")
        let header = "<!-- raw HTML omitted -->\n"
        var compared = 0
        var mismatches: [String] = []
        for (number, markdown) in examples {
            let recipe: Recipe
            do {
                recipe = try Recipe(path: "recipes/spec.md", source: markdown)
            } catch {
                mismatches.append("example \(number): refused: \(error)")
                continue
            }
            let execution = RecipeExecution(recipe: recipe, blocks: recipe.blocks.map { BlockResult(block: $0, status: .shownOnly) })
            let document = DocumentRenderer(includeTimes: false).markdown(for: execution)
            var expected = header + CommonMark.renderHTML(markdown) + footer
            if !recipe.blocks.isEmpty {
                // Swift blocks get a caption after their fence; the rest must be as in the example.
                expected = header + CommonMark.renderHTML(markdown)
                let actual = CommonMark.renderHTML(document)
                if !actual.contains("recipes/spec.md, lines") { mismatches.append("example \(number): no caption") }
                continue
            }
            compared += 1
            let actual = CommonMark.renderHTML(document)
            if actual != expected {
                mismatches.append("example \(number):\n\(markdown)\nexpected:\n\(expected)\nactual:\n\(actual)")
            }
        }
        #expect(compared > 600)
        #expect(mismatches.isEmpty, "\(mismatches.count) of \(examples.count) examples differ:\n\(mismatches.prefix(10).joined(separator: "\n---\n"))")
    }
}
