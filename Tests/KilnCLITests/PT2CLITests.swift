import Foundation
import Kiln
import Testing

/// torch.export `.pt2` archives given to `kiln import`, `kiln compile` and `kiln infer --pt2`:
/// outputs, and the exit code of each failure class.
@Suite struct PT2CLITests {
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("KilnTests/Fixtures/PT2")
    static let fixture = fixtures.appendingPathComponent("tiny_cnn.pt2").path

    static func scratch() throws -> URL {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("kiln-pt2-cli-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        return dir
    }

    @Test func importWritesTheProgramAndInferRunsItLikePyTorch() throws {
        let dir = try Self.scratch()
        defer { try? FileManager.default.removeItem(at: dir) }
        let kep = dir.appendingPathComponent("tiny.kep").path
        let r = try Kiln.run(["import", Self.fixture, "--output", kep])
        #expect(r.status == 0, "\(r.output)")
        #expect(r.output.contains("torch.export program model, schema 8."))
        #expect(r.output.contains("s77: 2…32"))
        let program = try ExportedProgram(contentsOf: URL(fileURLWithPath: kep))
        #expect(program.graphHash == (try importPT2(URL(fileURLWithPath: Self.fixture))).graphHash)

        let refs = Self.fixtures.appendingPathComponent("tiny_cnn.safetensors").path
        let out = dir.appendingPathComponent("y.safetensors").path
        let infer = try Kiln.run(["infer", "--pt2", Self.fixture, "--input", refs + ":input_b3", "--output", out])
        #expect(infer.status == 0, "\(infer.output)")
        #expect(infer.output.contains("eager tiny_cnn (torch.export)"))
        let y = try SafetensorsFile(contentsOf: URL(fileURLWithPath: out)).tensor(named: "logits")
        let want = try SafetensorsFile(contentsOf: URL(fileURLWithPath: refs)).tensor(named: "output_b3")
        #expect(y.compare(to: want, rtol: 0, atol: 1e-4 * want.maxAbs).isClose)
    }

    @Test func failuresHaveTheirExitCodes() throws {
        let dir = try Self.scratch()
        defer { try? FileManager.default.removeItem(at: dir) }
        let kep = dir.appendingPathComponent("x.kep").path
        let range = try Kiln.run(["import", Self.fixture, "--dynamic-batch", "1...4", "--output", kep])
        #expect(range.status == 64, "\(range.output)")
        #expect(range.output.contains("Suggested fix: drop --dynamic-batch"))
        let hostile = Self.fixtures.appendingPathComponent("hostile/pickled_weight.pt2").path
        let pickled = try Kiln.run(["compile", hostile])
        #expect(pickled.status == 65, "\(pickled.output)")
        #expect(pickled.output.contains("use_pickle: true"))
        let ops = try Kiln.run(["import", Self.fixtures.appendingPathComponent("hostile/unsupported_ops.pt2").path, "--output", kep])
        #expect(ops.status == 65 && ops.output.contains("aten.erf.default"), "\(ops.output)")
        #expect(!FileManager.default.fileExists(atPath: kep))
        let both = try Kiln.run(["infer", "--pt2", Self.fixture, "--onnx", "x.onnx"])
        #expect(both.status == 64, "\(both.output)")
        let tooBig = try Kiln.run(["infer", "--pt2", Self.fixture, "--batch", "33"])
        #expect(tooBig.status == 67, "\(tooBig.output)")
    }
}
