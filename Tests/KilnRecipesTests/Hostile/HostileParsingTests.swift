import Foundation
import Testing
@testable import KilnRecipes

/// Recipes the runner cannot parse: each is reported as bad input (exit code 65) at its line
/// and keeps its previous documents; nothing else in `output/` changes.
///
/// Covered elsewhere, not repeated here: an unknown block option keeping the previous
/// document (RunnerTests.failingRecipeIsWrittenWithTheFailureAndInvalidOneKeepsItsDocument),
/// parse-level option and settings errors (ParsingTests).
@Suite(.enabled(if: HostileRun.shared != nil, "needs libKiln.so and swiftc"))
struct HostileParsingTests {
    let run = HostileRun.shared!

    @Test func unclosedFenceIsBadInputAtItsLine() {
        let r = run.report("unclosed")
        #expect(r.status == .invalid && run.exitCode("unclosed") == 65)
        #expect(r.failure == "\(run.path("unclosed")):7: the ```swift fence opened here is never closed\nSuggested fix: add a closing ``` line after the block's code.")
        run.expectNothingLost("unclosed", kept: true)
        // A fence the end of its block quote closes is unclosed too.
        let quoted = run.report("unclosed_quote")
        #expect(quoted.status == .invalid && run.exitCode("unclosed_quote") == 65)
        #expect(quoted.failure?.hasPrefix("\(run.path("unclosed_quote")):3: the ```swift fence opened here is never closed") == true)
        run.expectNothingLost("unclosed_quote", kept: true)
    }

    @Test func nonUTF8AndBinaryRecipesAreBadInputAtTheByte() {
        let r = run.report("not_utf8")
        #expect(r.status == .invalid && run.exitCode("not_utf8") == 65)
        #expect(r.failure == "\(run.path("not_utf8")):4: column 9 holds byte 0xFF, which is not valid UTF-8: a recipe must be UTF-8 text\nSuggested fix: save the recipe as UTF-8 text (binary data belongs in a file the recipe reads).")
        run.expectNothingLost("not_utf8", kept: true)
        let nul = run.report("nul")
        #expect(nul.status == .invalid && run.exitCode("nul") == 65)
        #expect(nul.failure?.hasPrefix("\(run.path("nul")):3: column 5 holds a NUL byte: a recipe must be UTF-8 text") == true)
        run.expectNothingLost("nul", kept: true)
        // The checker against hand-picked sequences: overlong, surrogate, truncated, beyond U+10FFFF.
        for (bytes, column) in [([0xC0, 0x80], 1), ([0xED, 0xA0, 0x80], 1), ([0x61, 0xE2, 0x82], 2), ([0xF4, 0x90, 0x80, 0x80], 1)] as [([UInt8], Int)] {
            #expect(Recipe.firstNonText(in: bytes)?.column == column, "\(bytes)")
        }
        #expect(Recipe.firstNonText(in: Array("é€😀\n\tok".utf8)) == nil)
    }

    @Test func recipesWhoseDocumentsWouldCollideAreRefusedBeforeRunning() throws {
        let root = TestEnvironment.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: root) }
        try FileManager.default.createDirectory(atPath: root + "/r", withIntermediateDirectories: true)
        try "# I\n".write(toFile: root + "/r/index.md", atomically: true, encoding: .utf8)
        #expect {
            try RecipeDiscovery.find([root + "/r"])
        } throws: { error in
            (error as? RecipeError) == RecipeError(
                .badInput, "\(root)/r/index.md: its document output/index.md would replace the gallery's output/index.md",
                suggestion: "Suggested fix: rename the recipe (index.md, index.html, execution_times.md, execution_times.html, images/placeholder.svg are the gallery's).")
        }
        try FileManager.default.removeItem(atPath: root + "/r/index.md")
        try "# A\n".write(toFile: root + "/r/a.md", atomically: true, encoding: .utf8)
        try "# A source\n".write(toFile: root + "/r/a.source.md", atomically: true, encoding: .utf8)
        #expect {
            try RecipeDiscovery.find([root + "/r"])
        } throws: { error in
            (error as? RecipeError)?.message == "\(root)/r/a.md and \(root)/r/a.source.md would both write output/a.source.md"
        }
    }
}
