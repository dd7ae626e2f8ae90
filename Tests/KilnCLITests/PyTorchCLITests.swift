import Foundation
import Kiln
import KilnFuzzing
import Testing

/// `--weights X.pth`: the CLI tells a torch.save checkpoint from safetensors by its bytes.
@Suite struct PyTorchCLITests {
    static let hostile = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("KilnTests/Fixtures/PyTorch/hostile")

    /// ResNet-18 as a DataParallel-style `.pth` (keys `module.…`, written by the Swift twin of
    /// torch.save) gives the same logits file as the safetensors weights, bit for bit.
    @Test func inferWithPthWeightsAndStrippedPrefixMatchesSafetensors() throws {
        let weights = CLITests.fixtures.appendingPathComponent("resnet18.safetensors")
        let cases = CLITests.fixtures.appendingPathComponent("resnet18_cases.safetensors").path
        guard FileManager.default.fileExists(atPath: weights.path) else {
            print("skipping inferWithPthWeightsAndStrippedPrefixMatchesSafetensors: \(weights.path) not found"); return
        }
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("kiln-cli-pth-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let st = try SafetensorsFile(contentsOf: weights)
        let pth = dir.appendingPathComponent("resnet18.pt")
        let names = st.tensorNames.filter { !$0.hasSuffix("num_batches_tracked") }
        try TorchSaveImage.stateDict(try names.map { ("module." + $0, try st.tensor(named: $0)) }).write(to: pth)
        let a = dir.appendingPathComponent("a.safetensors"), b = dir.appendingPathComponent("b.safetensors")
        let r1 = try Kiln.run(["infer", "--weights", pth.path, "--strip-prefix", "module.", "--input", "\(cases):input_b1", "--output", a.path])
        #expect(r1.status == 0, "\(r1.output)")
        let r2 = try Kiln.run(["infer", "--weights", weights.path, "--input", "\(cases):input_b1", "--output", b.path])
        #expect(r2.status == 0, "\(r2.output)")
        let x = try SafetensorsFile(contentsOf: a).tensor(named: "logits"), y = try SafetensorsFile(contentsOf: b).tensor(named: "logits")
        #expect(x.scalars.map(\.bitPattern) == y.scalars.map(\.bitPattern))
        // Without the prefix stripped, every key is unexpected: exit 66 with the keys listed.
        let r3 = try Kiln.run(["infer", "--weights", pth.path, "--input", "\(cases):input_b1"])
        #expect(r3.status == 66, "\(r3.output)")
        #expect(r3.output.contains("unexpected keys (102): module."))
        #expect(r3.output.contains("Suggested fix: strip the key prefix \"module.\""))
    }

    /// A malicious pickle is bad input (65), names the global, and runs nothing.
    @Test func maliciousPthIsRefusedWithExit65() throws {
        let url = Self.hostile.appendingPathComponent("subprocess_popen.pth")
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("kiln-cli-pth-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let r = try Kiln.run(["export", "--model", "resnet18", "--weights", url.path, "--output", dir.appendingPathComponent("m.kep").path])
        #expect(r.status == 65, "\(r.output)")
        #expect(r.output.contains("global subprocess.Popen"))
        #expect(r.output.contains("Suggested fix: "))
        #expect(!FileManager.default.fileExists(atPath: "/tmp/kiln-pickle-marker-subprocess_popen"))
        #expect(((try? FileManager.default.contentsOfDirectory(atPath: dir.path)) ?? []).isEmpty, "nothing written")
    }
}
