import Foundation
import Kiln
import Testing

/// `kiln import`, and ONNX models given to `kiln compile` and `kiln infer --onnx`: outputs and
/// the exit code of each failure class.
@Suite struct ONNXCLITests {
    static let fixture = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("KilnTests/Fixtures/ONNX/se_block.onnx").path

    static func scratch() throws -> URL {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("kiln-onnx-cli-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        return dir
    }

    @Test func importWritesAProgramThatRunsLikeTheModel() throws {
        let dir = try Self.scratch()
        defer { try? FileManager.default.removeItem(at: dir) }
        let kep = dir.appendingPathComponent("se.kep").path
        let r = try Kiln.run(["import", Self.fixture, "--dynamic-batch", "1...8", "--output", kep])
        #expect(r.status == 0, "\(r.output)")
        #expect(r.output.contains("%input: [s0, 3, 12, 12]"))
        #expect(r.output.contains("s0: 1…8 (Dim \"batch\")"))
        let program = try ExportedProgram(contentsOf: URL(fileURLWithPath: kep))
        let direct = try importONNX(URL(fileURLWithPath: Self.fixture), batch: Dim("batch", min: 1, max: 8))
        #expect(program.graphHash == direct.graphHash)

        let out = dir.appendingPathComponent("y.safetensors").path
        let infer = try Kiln.run(["infer", "--onnx", Self.fixture, "--batch", "2", "--output", out])
        #expect(infer.status == 0, "\(infer.output)")
        #expect(infer.output.contains("eager se_block (ONNX)"))
    }

    @Test func failuresHaveTheirExitCodes() throws {
        let dir = try Self.scratch()
        defer { try? FileManager.default.removeItem(at: dir) }
        let kep = dir.appendingPathComponent("x.kep").path
        let noRange = try Kiln.run(["import", Self.fixture, "--output", kep])
        #expect(noRange.status == 67, "\(noRange.output)")
        #expect(noRange.output.contains("Suggested fix: --dynamic-batch 1...32"))
        #expect(!FileManager.default.fileExists(atPath: kep))
        let garbage = dir.appendingPathComponent("garbage.onnx")
        try Data("not a model".utf8).write(to: garbage)
        let bad = try Kiln.run(["compile", garbage.path, "--dynamic-batch", "1...4"])
        #expect(bad.status == 65, "\(bad.output)")
        #expect(bad.output.contains("garbage.onnx: not a valid ONNX model"))
    }

    /// The ONNX commands check their outputs as their siblings do (OutputChecks): an output
    /// that is the model itself is refused before anything is read, and the model survives.
    @Test func outputsThatAreTheModelAreRefused() throws {
        let dir = try Self.scratch()
        defer { try? FileManager.default.removeItem(at: dir) }
        let model = dir.appendingPathComponent("se.onnx")
        try FileManager.default.copyItem(atPath: Self.fixture, toPath: model.path)
        let before = try Data(contentsOf: model)
        for args in [["import", model.path, "--dynamic-batch", "1...8", "--output", model.path],
                     ["infer", "--onnx", model.path, "--output", model.path]] {
            let r = try Kiln.run(args)
            #expect(r.status == 64, "\(args): \(r.output)")
            #expect(r.output.contains("is the same file as the ONNX model"), "\(args): \(r.output)")
        }
        #expect(try Data(contentsOf: model) == before)
    }

    /// The CLI switches on ``ONNXImportError``'s cases: a static batch given `--dynamic-batch`
    /// is a shape failure (67) whose fix is dropping the flag; unsupported operators are bad
    /// input (65), listed with their nodes.
    @Test func onnxErrorCasesMapToTheREADMEsExitCodes() throws {
        let dir = try Self.scratch()
        defer { try? FileManager.default.removeItem(at: dir) }
        let corpus = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("fuzz/corpus/onnx")
        let pools = corpus.appendingPathComponent("pools.onnx").path
        let fixedBatch = try Kiln.run(["import", pools, "--dynamic-batch", "1...4", "--output", dir.appendingPathComponent("p.kep").path])
        #expect(fixedBatch.status == 67, "\(fixedBatch.output)")
        #expect(fixedBatch.output.contains("dimension 0 is static (1)"))
        #expect(fixedBatch.output.contains("Suggested fix: drop --dynamic-batch (the model's batch is static), or re-export with a symbolic batch"))

        // relu.onnx with its one operator renamed to Loop (same length, so the protobuf stays valid).
        var bytes = try Data(contentsOf: corpus.appendingPathComponent("relu.onnx"))
        let relu = Data("Relu".utf8), loop = Data("Loop".utf8)
        while let r = bytes.range(of: relu) { bytes.replaceSubrange(r, with: loop) }
        let unsupported = dir.appendingPathComponent("loop.onnx")
        try bytes.write(to: unsupported)
        let ops = try Kiln.run(["compile", unsupported.path, "--dynamic-batch", "1...4", "--output", dir.appendingPathComponent("g.so").path])
        #expect(ops.status == 65, "\(ops.output)")
        #expect(ops.output.contains("1 operator type is not supported by Kiln (opset"), "\(ops.output)")
        #expect(ops.output.contains("Loop ("))
        #expect(ops.output.contains("Suggested fix: export without them"))

        let infer = try Kiln.run(["infer", "--onnx", pools, "--batch", "1", "--output", dir.appendingPathComponent("y.safetensors").path])
        #expect(infer.status == 0, "\(infer.output)")
    }
}
