import Foundation
@testable import KilnFuzzing
import Testing
@testable import Kiln

/// Replays the safetensors fuzzer's seed corpus and regressions (`fuzz/corpus/safetensors`,
/// `fuzz/regressions/safetensors`) through the fuzzer's own entry function, and checks the
/// in-memory reader it uses against the memory-mapped one.
@Suite struct SafetensorsFuzzRegressionTests {
    static let fuzzDirectory = Fixtures.packageRoot.appendingPathComponent("fuzz")

    static func inputs(_ folder: String) -> [URL] {
        FuzzTarget.inputFiles(under: fuzzDirectory.appendingPathComponent(folder).appendingPathComponent("safetensors"))
    }

    @Test func corpusAndRegressionsReplayWithoutViolations() throws {
        let corpus = Self.inputs("corpus"), regressions = Self.inputs("regressions")
        #expect(corpus.count >= 20, "seed corpus missing under \(Self.fuzzDirectory.path)")
        for file in corpus + regressions {
            let violations = FuzzTarget.safetensors.violations(for: try Data(contentsOf: file))
            #expect(violations.isEmpty, "\(file.path): \(violations)")
        }
    }

    /// The seeds named `bad_*` are corrupt and must be rejected; the others must open. Both
    /// readers (mapped file, in-memory copy) must agree on every seed.
    @Test func inMemoryReaderAgreesWithMappedReader() throws {
        for file in Self.inputs("corpus") {
            let data = try Data(contentsOf: file)
            let mapped = Result { () throws(SafetensorsError) in try SafetensorsFile(contentsOf: file) }
            let memory = Result { () throws(SafetensorsError) in try SafetensorsFile(data: data, url: file) }
            switch (mapped, memory) {
            case let (.success(a), .success(b)):
                #expect(!file.lastPathComponent.hasPrefix("bad_"), "\(file.lastPathComponent) opened")
                #expect(a.tensorInfos == b.tensorInfos && a.metadata == b.metadata, "\(file.lastPathComponent)")
            case let (.failure(a), .failure(b)):
                #expect(file.lastPathComponent.hasPrefix("bad_"), "\(file.lastPathComponent): \(a)")
                #expect(a == b, "\(file.lastPathComponent): mapped \(a), in memory \(b)")
            default:
                Issue.record("\(file.lastPathComponent): mapped \(mapped), in memory \(memory)")
            }
        }
    }

    @Test func rejectionWithoutTheFileNameIsAViolation() {
        let unnamed = SafetensorsError.fileTooShort(path: "/elsewhere.safetensors", byteCount: 3)
        #expect(SafetensorsFuzzCheck.rejectionViolations(unnamed).contains { $0.contains("does not name the file") })
        let named = SafetensorsError.fileTooShort(path: SafetensorsFuzzCheck.url.path, byteCount: 3)
        #expect(SafetensorsFuzzCheck.rejectionViolations(named).isEmpty)
    }
}
