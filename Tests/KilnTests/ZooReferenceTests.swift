import Foundation
import Testing
@testable import Kiln

/// MobileNetV2 and EfficientNet-B0 from the Swift zoo against torchvision itself: the state
/// dicts `scripts/torchvision_zoo_reference.py` writes (seeded weights, randomised batch-norm
/// statistics; `.pth` from torch.save and safetensors) load by torchvision's keys, and eager
/// and compiled logits match torchvision's within 1e-4 and 5e-4 · max|ref| (batch 2, 96×96).
/// Generated in the test (≈ 35 MB each); skipped with the reason when torch is not importable.
@Suite(.serialized) struct ZooReferenceTests {
    static let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("scripts/torchvision_zoo_reference.py")

    /// Runs the script; nil (with the reason printed) when python3 cannot import torch.
    static func reference(_ name: String) throws -> URL? {
        let dir = CompileFixtures.scratch("zoo-" + name)
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = ["python3", script.path, name, dir.path]
        let err = Pipe()
        p.standardOutput = FileHandle.nullDevice
        p.standardError = err
        try p.run()
        let message = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        p.waitUntilExit()
        guard p.terminationStatus == 0 else {
            print("skipping \(name) reference: python3 with torch and torchvision not available (exit \(p.terminationStatus)): \(message.suffix(200))")
            return nil
        }
        return dir
    }

    @Test(arguments: [ModelName.mobilenetV2, .efficientnetB0])
    func matchesTorchvision(name: ModelName) throws {
        guard let dir = try Self.reference(name.rawValue) else { return }
        let cases = try SafetensorsFile(contentsOf: dir.appendingPathComponent(name.rawValue + "_cases.safetensors"))
        let x = try cases.tensor(named: "input"), want = try cases.tensor(named: "logits")
        let pth = try model(name, weights: .file(dir.appendingPathComponent(name.rawValue + ".pth")))
        let eager = try pth(x)
        let c = eager.compare(to: want, rtol: 0, atol: 1e-4 * want.maxAbs)
        print("\(name.rawValue) eager vs torchvision: max |Δ| / max |ref| = \(c.maxAbsDifference / want.maxAbs)")
        #expect(c.isClose, "\(name.rawValue) eager: \(c)")

        let st = try model(name, weights: .file(dir.appendingPathComponent(name.rawValue + ".safetensors")))
        #expect(try st(x).scalars == eager.scalars, "the .pth and the safetensors give the same model")

        let program = try export(pth, exampleInputs: [x], dynamicShapes: ["x": [0: Dim("batch", min: 1, max: 4)]])
        let library = try aotLoad(try aotCompile(program, exampleInputs: [x], options: CompileFixtures.options()))
        let compiled = try library(x)
        let d = compiled.compare(to: want, rtol: 0, atol: 5e-4 * want.maxAbs)
        print("\(name.rawValue) compiled vs torchvision: max |Δ| / max |ref| = \(d.maxAbsDifference / want.maxAbs)")
        #expect(d.isClose, "\(name.rawValue) compiled: \(d)")
        let one = try library(x.slice(batch: 1..<2))
        #expect(one.compare(to: compiled.slice(batch: 1..<2), rtol: 0, atol: 5e-4 * want.maxAbs).isClose, "batch 1 of the dynamic library")
    }
}
