import Foundation
import Testing
@testable import Kiln

/// The small ONNX networks of Fixtures/ONNX against ONNX Runtime's outputs, with a dynamic
/// batch: eager (interpreter) within 1e-4 · max|ref|, compiled within 5e-4 · max|ref|.
@Suite struct ONNXFixtureTests {
    static let names = ["mobilenet_like", "se_block", "shuffle_unit", "mixed_ops", "upsampling", "resize_modes", "math_ops", "resize_general",
                        "conv_transpose_shapes", "pool3d", "convnext_block", "gelu_ops", "vit_tiny", "reductions", "se_project"]

    @Test(arguments: names)
    func eagerMatchesONNXRuntime(_ name: String) throws {
        let program = try importONNX(ONNXFixtures.model(name), dynamicShapes: ONNXFixtures.batch)
        let refs = try ONNXFixtures.references(name)
        for b in [1, 3] {
            let y = try program.run([try refs.tensor(named: "input_b\(b)")])[0]
            ONNXFixtures.expectClose(y, try refs.tensor(named: "output_b\(b)"), tolerance: 1e-4, "\(name) eager batch \(b)")
        }
    }

    @Test(arguments: names)
    func compiledMatchesONNXRuntime(_ name: String) throws {
        let program = try importONNX(ONNXFixtures.model(name), dynamicShapes: ONNXFixtures.batch)
        let refs = try ONNXFixtures.references(name)
        let x3 = try refs.tensor(named: "input_b3")
        let path = try aotCompile(program, exampleInputs: [x3], options: CompileFixtures.options())
        let library = try aotLoad(path)
        for b in [1, 3] {
            let y = try library(try refs.tensor(named: "input_b\(b)"))
            ONNXFixtures.expectClose(y, try refs.tensor(named: "output_b\(b)"), tolerance: 5e-4, "\(name) compiled batch \(b)")
        }
    }

    @Test func importedProgramKeepsTheBatchSymbolicAndSavesToKep() throws {
        let program = try importONNX(ONNXFixtures.model("shuffle_unit"), batch: Dim("batch", min: 1, max: 8))
        #expect(program.signature.inputs[0].shape.first == .symbol("s0"))
        #expect(program.rangeConstraints == [RangeConstraint(symbol: "s0", dimName: "batch", min: 1, max: 8)])
        // Shape → Gather → Unsqueeze → Concat → Reshape folded: two reshapes keeping the batch (0).
        let reshapes = program.graph.nodes.filter { $0.op == .reshape }
        #expect(reshapes.map(\.attributes.shape) == [[0, 2, 4, 10, 10], [0, 8, 10, 10]])
        #expect(!program.graph.nodes.contains { $0.op.rawValue == "shape" })
        let dir = CompileFixtures.scratch()
        let url = dir.appendingPathComponent("shuffle.kep")
        try program.save(to: url)
        let loaded = try ExportedProgram(contentsOf: url)
        #expect(loaded.graphHash == program.graphHash)
        let x = Tensor.randn([2, 3, 10, 10], seed: 3)
        #expect(try loaded.run([x])[0].scalars == program.run([x])[0].scalars)
    }

    /// torch.onnx.export's exact GELU, (x · (erf(x / √2) + 1)) · 0.5, becomes one gelu node;
    /// the bare Erf stays an erf, and LayerNormalization becomes the mean/variance chain.
    @Test func erfGeluIsRecognised() throws {
        let block = try importONNX(ONNXFixtures.model("convnext_block"), dynamicShapes: ONNXFixtures.batch)
        #expect(block.graph.count(of: .gelu) == 1)
        #expect(block.graph.count(of: .erf) == 1)
        #expect(block.graph.nodes.first { $0.op == .gelu }?.attributes.mode == "none")
        #expect(block.graph.count(of: .reduceMean) == 4)
        let opset20 = try importONNX(ONNXFixtures.model("gelu_ops"), dynamicShapes: ONNXFixtures.batch)
        #expect(opset20.graph.nodes.filter { $0.op == .gelu }.map(\.attributes.mode) == ["none", "tanh"])
    }

    @Test func siluAndReLU6AreRecognisedAndFused() throws {
        let se = try importONNX(ONNXFixtures.model("se_block"), dynamicShapes: ONNXFixtures.batch)
        #expect(se.graph.count(of: .silu) == 1)
        #expect(se.graph.count(of: .sigmoid) == 1)   // the gate; the SiLU's sigmoid is gone
        let mobile = try importONNX(ONNXFixtures.model("mobilenet_like"), dynamicShapes: ONNXFixtures.batch)
        #expect(mobile.graph.count(of: .clip) == 6)
        let lowered = FusionPasses.run(try Lowering.lower(CompileSource(mobile)))
        let convs = lowered.nodes.compactMap { n -> ConvStep? in if case .conv(let c) = n.op { c } else { nil } }
        #expect(convs.count == 8)
        #expect(convs.filter { $0.activation == .clip(min: 0, max: 6) }.count == 6)
        #expect(convs.filter { $0.residual != nil }.count == 2)
        #expect(!lowered.nodes.contains { if case .batchNorm = $0.op { true } else { false } })
    }

    /// Each squeeze-excitation Mul whose product feeds a 1x1 convolution becomes part of that
    /// convolution (`kiln_conv2d_gemm_scaled`), whichever operand the gate is; se_block's Mul
    /// feeds a 3x3 convolution and stays a step. (Values: compiledMatchesONNXRuntime.)
    @Test func squeezeExcitationMulIsFoldedIntoTheProjection() throws {
        func model(_ name: String) throws -> String {
            let program = try importONNX(ONNXFixtures.model(name), dynamicShapes: ONNXFixtures.batch)
            let dir = CompileFixtures.scratch()
            let out = dir.appendingPathComponent("\(name).so").path
            _ = try aotCompile(program, exampleInputs: [Tensor.randn([1, 3, name == "se_block" ? 12 : 10, name == "se_block" ? 12 : 10], seed: 1)],
                               options: CompileFixtures.options(out, keepSource: true))
            return try String(contentsOf: dir.appendingPathComponent("\(name).so.src/model.c"), encoding: .utf8)
        }
        let projected = try model("se_project")
        #expect(projected.components(separatedBy: "kiln_conv2d_gemm_scaled(").count - 1 == 2)
        #expect(!projected.contains("kiln_binary("))
        let block = try model("se_block")
        #expect(!block.contains("kiln_conv2d_gemm_scaled("))
        #expect(block.contains("kiln_binary("))
    }
}
