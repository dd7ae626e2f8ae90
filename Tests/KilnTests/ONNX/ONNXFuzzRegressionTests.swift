import Foundation
@testable import KilnFuzzing
import Testing
@testable import Kiln

/// Replays the ONNX fuzzer's seed corpus and regressions (`fuzz/corpus/onnx`,
/// `fuzz/regressions/onnx`) through its entry function; the seeds must also import (all but
/// the one whose external data is missing).
@Suite struct ONNXFuzzRegressionTests {
    static func inputs(_ folder: String) -> [URL] {
        FuzzTarget.inputFiles(under: Fixtures.packageRoot.appendingPathComponent("fuzz/\(folder)/onnx"))
    }

    @Test func corpusAndRegressionsReplayWithoutViolations() throws {
        let corpus = Self.inputs("corpus")
        #expect(corpus.count >= 8, "seed corpus missing")
        for file in corpus + Self.inputs("regressions") {
            let violations = FuzzTarget.onnx.violations(for: try Data(contentsOf: file))
            #expect(violations.isEmpty, "\(file.path): \(violations)")
        }
        for file in corpus where !file.lastPathComponent.hasPrefix("external") {
            #expect(throws: Never.self, "\(file.lastPathComponent)") {
                do { _ = try importONNX(file) } catch let e as ONNXImportError where e.kind == .dynamicShapes {
                    _ = try importONNX(file, batch: Dim("batch", max: 4))
                }
            }
        }
    }
}
