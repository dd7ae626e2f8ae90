import Foundation
import Testing
@testable import Kiln

/// The compiled ResNet-18 library against PyTorch's logits (batch 1 and 3), within
/// 5e-4 · max |reference|, for the heuristic kernel choice and for every forced algorithm.
@Suite(.serialized) struct CompiledFixtureTests {
    static func expectFixtureLogits(_ path: String, _ what: String, batches: [String] = ["b1", "b3"]) throws {
        guard let cases = Fixtures.file("resnet18_cases.safetensors") else { return }
        let model = try aotLoad(path)
        let file = try SafetensorsFile(contentsOf: cases)
        for b in batches {
            let y = try model(try file.tensor(named: "input_\(b)"))
            CompileFixtures.expectMatches(y, try file.tensor(named: "logits_\(b)"), "\(what) logits_\(b)")
        }
    }

    @Test func libraryMatchesPyTorchLogits() throws {
        guard let path = CompileFixtures.fixtureLibrary else { return }
        try Self.expectFixtureLogits(path, "heuristic")
    }

    @Test func everyKernelChoiceMatchesPyTorchLogits() throws {
        guard let program = CompileFixtures.fixtureProgram else { return }
        let example = [Tensor.randn([1, 3, 224, 224], seed: 0)]
        for a in [ConvAlgorithm.winogradF2x3, .direct, .pointwiseSgemm, .im2colSgemm] {
            let path = try aotCompile(program, exampleInputs: example, options: CompileFixtures.options(forced: a))
            try Self.expectFixtureLogits(path, "forced \(a.rawValue)", batches: a == .direct ? ["b1"] : ["b1", "b3"])
        }
    }

    /// layer4's 3×3 convolutions run the packed GEMM at batch 1, Winograd F(2,3) from batch
    /// 2 and F(4,3) from batch 8, and layer3's F(2,3) at batch 1 and F(4,3) from batch 2,
    /// with weights built on the first such calls; the library records the switches, and a
    /// row gives the same logits either way (batch 2 and 8 vs the same image alone).
    @Test func sevenBySevenLayersSwitchToWinogradFromBatch2() throws {
        guard let path = CompileFixtures.fixtureLibrary else { return }
        let model = try aotLoad(path)
        let switches = "\"large_batch\":\"winograd_f2x3 from batch 2, winograd_f4x3 from batch 8\""
        #expect(model.metadataJSON.components(separatedBy: switches).count - 1 == 3,
                "expected layer4's three 3x3 stride-1 convolutions to switch: \(model.metadataJSON)")
        #expect(model.metadataJSON.components(separatedBy: "\"large_batch\":\"winograd_f4x3 from batch 2\"").count - 1 == 3,
                "expected layer3's three 3x3 stride-1 convolutions to switch: \(model.metadataJSON)")
        let x = Tensor.randn([8, 3, 224, 224], seed: 22)
        let alone = try model(x.slice(batch: 1..<2))
        let pair = try model(x.slice(batch: 0..<2)), eight = try model(x)
        CompileFixtures.expectMatches(eight.slice(batch: 1..<2), alone, "row 1 of batch 8 (Winograd F(4,3)) vs alone (packed GEMM, F(2,3))", tolerance: 1e-5)
        CompileFixtures.expectMatches(pair.slice(batch: 1..<2), alone, "row 1 of batch 2 (Winograd F(2,3), F(4,3)) vs alone (packed GEMM, F(2,3))", tolerance: 1e-5)
    }

    @Test func batch32RunsAndRowsAreIndependent() throws {
        guard let path = CompileFixtures.fixtureLibrary else { return }
        let model = try aotLoad(path)
        let x = Tensor.randn([32, 3, 224, 224], seed: 32)
        let y = try model(x)
        #expect(y.shape == [32, 1000])
        let alone = try model(x.slice(batch: 5..<6))
        CompileFixtures.expectMatches(y.slice(batch: 5..<6), alone, "row 5 of batch 32 vs alone", tolerance: 1e-5)
    }

    /// ResNet-34 (BasicBlock, deeper) and ResNet-50 (Bottleneck) compile and match eager.
    @Test(arguments: [ModelName.resnet34, .resnet50])
    func deeperModelsCompileAndMatchEager(name: ModelName) throws {
        let net = try model(name, weights: .seeded(5))
        let x = Tensor.randn([2, 3, 32, 32], seed: 6)
        let program = try export(net, exampleInputs: [x], dynamicShapes: ["x": [0: CompileFixtures.batch]])
        let library = try aotLoad(try aotCompile(program, exampleInputs: [x], options: CompileFixtures.options()))
        CompileFixtures.expectMatches(try library(x), try net(x), "\(name.rawValue) compiled vs eager")
    }
}
