import Foundation
@testable import KilnFuzzing
import Testing
@testable import Kiln

/// Replays the torch.export fuzzer's seed corpus and regressions (`fuzz/corpus/pt2`,
/// `fuzz/regressions/pt2`) through its entry function; the valid seeds must also import.
@Suite struct PT2FuzzRegressionTests {
    static func inputs(_ folder: String) -> [URL] {
        FuzzTarget.inputFiles(under: Fixtures.packageRoot.appendingPathComponent("fuzz/\(folder)/pt2"))
    }

    @Test func corpusAndRegressionsReplayWithoutViolations() throws {
        let corpus = Self.inputs("corpus")
        #expect(corpus.count >= 6, "seed corpus missing")
        for file in corpus + Self.inputs("regressions") {
            let violations = FuzzTarget.pt2.violations(for: try Data(contentsOf: file))
            #expect(violations.isEmpty, "\(file.path): \(violations)")
        }
        let micro = try #require(corpus.first { $0.lastPathComponent == "micro.pt2" })
        #expect(try importPT2(micro).graph.count(of: .conv2d) == 1)
        // The wrapped JSON seed imports against the fuzzer's own weights.
        let json = try #require(corpus.first { $0.lastPathComponent == "micro.json" })
        let p = try importPT2(data: PT2FuzzCheck.wrap(try Data(contentsOf: json)), url: PT2FuzzCheck.url)
        #expect(try p.run([Tensor.zeros([2, 3, 16, 16])])[0].shape == [2, 2])
    }
}
