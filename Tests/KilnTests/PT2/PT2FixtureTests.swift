import Foundation
import Testing
@testable import Kiln

/// The committed `.pt2` fixtures (Fixtures/PT2, written by scripts/make-pt2-fixtures.py with
/// torch.export.save) against PyTorch's eager outputs, default and decomposed (core ATen) IR:
/// eager (interpreter) within 1e-4 · max|ref|, compiled within 5e-4 · max|ref|.
@Suite struct PT2FixtureTests {
    static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Fixtures/PT2")
    static let names = ["tiny_cnn", "tiny_cnn_decomposed", "tiny_convnext", "tiny_reductions", "tiny_math"]

    static func program(_ name: String) throws -> ExportedProgram {
        try importPT2(directory.appendingPathComponent(name + ".pt2"))
    }

    /// PyTorch's inputs and outputs for fixture `name` (the decomposed twin shares its model's).
    static func references(_ name: String = "tiny_cnn") throws -> SafetensorsFile {
        let model = name.hasSuffix("_decomposed") ? String(name.dropLast("_decomposed".count)) : name
        return try SafetensorsFile(contentsOf: directory.appendingPathComponent(model + ".safetensors"))
    }

    @Test(arguments: names)
    func eagerMatchesPyTorch(_ name: String) throws {
        let program = try Self.program(name)
        let refs = try Self.references(name)
        for b in [1, 2, 3] {
            let y = try program.run([try refs.tensor(named: "input_b\(b)")])[0]
            ONNXFixtures.expectClose(y, try refs.tensor(named: "output_b\(b)"), tolerance: 1e-4, "\(name) eager batch \(b)")
        }
    }

    @Test(arguments: names)
    func compiledMatchesPyTorch(_ name: String) throws {
        let program = try Self.program(name)
        let refs = try Self.references(name)
        let path = try aotCompile(program, exampleInputs: [try refs.tensor(named: "input_b2")], options: CompileFixtures.options())
        let library = try aotLoad(path)
        for b in [1, 2, 3] {
            let y = try library(try refs.tensor(named: "input_b\(b)"))
            ONNXFixtures.expectClose(y, try refs.tensor(named: "output_b\(b)"), tolerance: 5e-4, "\(name) compiled batch \(b)")
        }
    }

    @Test func theProgramKeepsItsOwnSymbolAndRange() throws {
        let program = try Self.program("tiny_cnn")
        let input = try #require(program.signature.inputs.first)
        let symbol = try #require(input.shape.first?.symbolName)
        #expect(symbol.hasPrefix("s"))   // torch's own name (s77), not one Kiln makes up
        #expect(input.shape.dropFirst().map(\.staticValue) == [3, 16, 16])
        #expect(program.rangeConstraints == [RangeConstraint(symbol: symbol, dimName: symbol, min: 2, max: 32)])
        #expect("\(program)".contains("\(symbol): 2…32"))
        // Weights keep their state-dict keys; num_batches_tracked (int64, unused) is not read.
        let names = Set(program.signature.constants.map(\.name))
        #expect(names.isSuperset(of: ["stem.weight", "bn1.running_var", "fc.weight", "fc.bias"]))
        #expect(!names.contains { $0.hasSuffix("num_batches_tracked") })
        // Batches beyond the range are refused by the guards, batch 1 (below min) runs.
        #expect(throws: InputGuardError.self) { _ = try program.run([Tensor.zeros([33, 3, 16, 16])]) }
        #expect(try program.run([Tensor.zeros([1, 3, 16, 16])])[0].shape == [1, 10])
    }

    @Test func operatorsMapOntoKilnOps() throws {
        let p = try Self.program("tiny_cnn")
        #expect(p.graph.count(of: .conv2d) == 6)
        #expect(p.graph.count(of: .clip) == 1)          // ReLU6 = hardtanh_(0, 6)
        #expect(p.graph.count(of: .hardSwish) == 1)
        #expect(p.graph.count(of: .silu) == 1)
        #expect(p.graph.count(of: .hardSigmoid) == 1)
        #expect(p.graph.count(of: .transpose) == 1)
        #expect(p.graph.count(of: .concat) == 2)
        let d = try Self.program("tiny_cnn_decomposed")
        #expect(d.graph.count(of: .batchNorm) == 3)      // _native_batch_norm_legit_no_training
        #expect(d.graph.count(of: .linear) == 1)         // addmm(bias, x, permute(w)) → linear(x, w, bias)
        #expect(d.signature.constants.contains { $0.name == "fc.weight" && $0.shape == [10, 120] })
    }

    /// nn.LayerNorm becomes the mean/variance chain (3 norms: 2 reductions each), and
    /// nn.GELU keeps its form.
    @Test func layerNormAndGeluMapOntoKilnOps() throws {
        let p = try Self.program("tiny_convnext")
        #expect(p.graph.count(of: .reduceMean) == 3 * 2 + 1)   // + the head's mean pool
        #expect(p.graph.nodes.filter { $0.op == .gelu }.map(\.attributes.mode) == ["none", "tanh"])
        #expect(p.graph.count(of: .linear) == 5)
    }

    @Test func importedProgramSavesToKepAndRunsTheSame() throws {
        let program = try Self.program("tiny_cnn_decomposed")
        let url = CompileFixtures.scratch().appendingPathComponent("tiny.kep")
        try program.save(to: url)
        let loaded = try ExportedProgram(contentsOf: url)
        #expect(loaded.graphHash == program.graphHash)
        let x = Tensor.randn([2, 3, 16, 16], seed: 3)
        #expect(try loaded.run([x])[0].scalars == program.run([x])[0].scalars)
    }

    @Test func archiveInfoRecordsTheSchemaVersion() throws {
        let info = try readPT2Info(Self.directory.appendingPathComponent("tiny_cnn.pt2"))
        #expect(info.schemaVersion.major == pt2SupportedSchemaMajor)
        #expect(info.modelName == "model")
        #expect(info.torchVersion?.hasPrefix("2.") == true)
        #expect(info.nodeCount > 20)
    }
}

/// torchvision's ResNet-18 with the shared fixture's weights, exported by real torch.export
/// (default and core ATen IR) when `python3` can import torch, against PyTorch's logits;
/// skipped with the reason otherwise (nothing large is committed).
@Suite struct PT2ResNetTests {
    @Test(arguments: [false, true])
    func resnet18ExportedByTorchMatchesPyTorch(decomposed: Bool) throws {
        guard let weights = Fixtures.file("resnet18.safetensors"), let cases = Fixtures.file("resnet18_cases.safetensors") else { return }
        let url = Hostile.directory().appendingPathComponent("resnet18\(decomposed ? "_decomposed" : "").pt2")
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = ["python3", Fixtures.packageRoot.appendingPathComponent("scripts/make-pt2-fixtures.py").path,
                       "--resnet18", weights.path, url.path] + (decomposed ? ["--decompose"] : [])
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        try p.run()
        p.waitUntilExit()
        guard p.terminationStatus == 0 else {
            print("skipping resnet18ExportedByTorchMatchesPyTorch: python3 with torch and torchvision not available (exit \(p.terminationStatus))")
            return
        }
        let program = try importPT2(url)
        #expect(program.graph.count(of: .conv2d) == 20)
        let refs = try SafetensorsFile(contentsOf: cases)
        let y = try program.run([try refs.tensor(named: "input_b3")])[0]
        ONNXFixtures.expectClose(y, try refs.tensor(named: "logits_b3"), tolerance: 1e-4, "resnet18.pt2 eager batch 3")
    }
}
