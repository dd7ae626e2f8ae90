import Foundation
import Testing
@testable import KilnRecipes

/// The runner's writes report every failure, whatever type the writer throws.
@Suite struct RunnerOutputTests {
    struct DiskFull: Error, CustomStringConvertible {
        var description: String { "the disk is full" }
    }

    @Test func aWriterErrorThatIsNotARecipeErrorIsReportedWithItsFile() {
        var options = RunOptions()
        options.outputDirectory = "out-nowhere"
        let runner = RecipeRunner(options)
        var written: [String] = []
        let errors = runner.writeFiles([("a.md", "a"), ("b.md", "b"), ("c.md", "c")]) { _, path in
            if path.hasSuffix("b.md") { throw DiskFull() }
            written.append(path)
        }
        #expect(written == ["out-nowhere/a.md", "out-nowhere/c.md"])
        #expect(errors.count == 1)
        #expect(errors.first?.failureClass == .output)
        #expect(errors.first?.message == "cannot write out-nowhere/b.md: the disk is full")
        #expect(errors.first?.suggestion?.hasPrefix("Suggested fix: ") == true)
    }

    @Test func aRecipeErrorPassesThroughUnchanged() {
        let original = RecipeError(.output, "cannot write x: Not a directory", suggestion: "Suggested fix: y")
        #expect(RecipeRunner.outputError(original, path: "other") == original)
    }
}
