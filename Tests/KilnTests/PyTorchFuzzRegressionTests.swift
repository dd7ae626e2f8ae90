import Foundation
@testable import KilnFuzzing
import Testing
@testable import Kiln

/// Replays the PyTorch fuzzer's seed corpus and regressions (`fuzz/corpus/pytorch`,
/// `fuzz/regressions/pytorch`) through the fuzzer's own entry function, and checks that the
/// entry function's invariants can fail.
@Suite struct PyTorchFuzzRegressionTests {
    static func inputs(_ folder: String) -> [URL] {
        FuzzTarget.inputFiles(under: SafetensorsFuzzRegressionTests.fuzzDirectory.appendingPathComponent(folder).appendingPathComponent("pytorch"))
    }

    @Test func corpusAndRegressionsReplayWithoutViolations() throws {
        let corpus = Self.inputs("corpus"), regressions = Self.inputs("regressions")
        #expect(corpus.count >= 30, "seed corpus missing")
        var accepted = 0
        for file in corpus + regressions {
            let data = try Data(contentsOf: file)
            let violations = FuzzTarget.pytorch.violations(for: data)
            #expect(violations.isEmpty, "\(file.path): \(violations)")
            let image = data.starts(with: [0x50, 0x4B, 0x03, 0x04]) ? data : TorchSaveImage.archive(pickle: [UInt8](data), storages: PyTorchFuzzCheck.storages)
            if (try? PyTorchCheckpoint(data: image, url: PyTorchFuzzCheck.url)) != nil { accepted += 1 }
        }
        // The seeds must reach the tensor reads, not only the rejections.
        #expect(accepted >= 15, "only \(accepted) seeds open")
    }

    @Test func rejectionWithoutTheFileNameIsAViolation() {
        let unnamed = PyTorchError.malformedZip(path: "/elsewhere.pth", reason: "x")
        #expect(PyTorchFuzzCheck.rejectionViolations(unnamed).contains { $0.contains("does not name the file") })
        #expect(PyTorchFuzzCheck.rejectionViolations(.malformedZip(path: PyTorchFuzzCheck.url.path, reason: "x")).isEmpty)
    }

    /// The independent decode agrees with the reader's strided walk on a transposed view.
    @Test func independentElementIndexMatchesStridedWalk() {
        let info = PyTorchCheckpoint.TensorInfo(name: "t", dtype: .float32, shape: [3, 2, 2], stride: [1, 6, 3],
                                                storageOffset: 5, storageMember: "archive/data/0")
        var walked: [Int] = []
        StridedCopy.forEach(info) { _, e in walked.append(e) }
        #expect(walked == (0..<12).map { PyTorchFuzzCheck.element($0, info) })
        #expect(walked.prefix(4) == [5, 8, 11, 14])
    }
}
