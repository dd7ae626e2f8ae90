import Foundation
import Testing
@testable import Kiln

/// The conv emitter writes every activation and all four pads into the generated C, and
/// that C compiles against the kernel headers it ships with.
@Suite struct ConvActivationCodegenTests {
    static let activations: [(Activation, String)] = [
        (.none, ".act = {KILN_ACT_NONE}"), (.relu, ".act = {KILN_ACT_RELU}"),
        (.clip(min: 0, max: 6), ".act = {KILN_ACT_CLIP, 0.0f, 6.0f}"),
        (.leakyRelu(alpha: 0.1), ".act = {KILN_ACT_LEAKY_RELU, 0.1f, 0.0f}"),
        (.hardSigmoid(alpha: 0.2, beta: 0.5), ".act = {KILN_ACT_HARD_SIGMOID, 0.2f, 0.5f}"),
        (.clip(min: -.infinity, max: 1e-7), ".act = {KILN_ACT_CLIP, -__builtin_inff(), 1e-07f}"),
        (.sigmoid, ".act = {KILN_ACT_SIGMOID}"), (.hardSwish, ".act = {KILN_ACT_HARD_SWISH}"),
        (.silu, ".act = {KILN_ACT_SILU}"), (.tanh, ".act = {KILN_ACT_TANH}"),
    ]

    @Test func activationsAndAsymmetricPadsReachTheGeneratedC() throws {
        let net = Sequential(Conv2d(3, 4, kernelSize: 3, padding: 1))
        net.initializeParameters(seed: 2)
        let program = try export(net, exampleInputs: [Tensor.randn([1, 3, 8, 8], seed: 1)],
                                 dynamicShapes: ["x": [0: Dim("batch", min: 1, max: 4)]])
        var g = FusionPasses.run(try Lowering.lower(CompileSource(program)))
        let i = try #require(g.nodes.firstIndex { if case .conv = $0.op { true } else { false } })
        guard case var .conv(c) = g.nodes[i].op else { return }
        c.geometry.pads = (1, 0, 1, 2)
        g.nodes[i].shape = [g.nodes[i].shape[0], .static(4), .static(8), .static(9)]
        let dir = CompileFixtures.scratch()
        try KernelSources.write(to: dir)
        for (k, (act, literal)) in Self.activations.enumerated() {
            c.activation = act
            g.nodes[i].op = .conv(c)
            let model = try CodeGenerator.generate(g, plan: MemoryPlan.plan(g), names: .init(model: "m", graphHash: "h", outputs: ["y"]),
                                                   metadata: [:])
            #expect(model.source.contains(literal), "\(act): no `\(literal)` in the generated conv")
            #expect(model.source.contains(".pad_h = 1, .pad_w = 0,") && model.source.contains(".pad_b = 1, .pad_r = 2,"))
            let file = dir.appendingPathComponent("model\(k).c")
            try model.source.write(to: file, atomically: true, encoding: .utf8)
            let cc = try Subprocess.run(["cc", "-fsyntax-only", "-Werror=incompatible-pointer-types", "-I", dir.path, file.path])
            #expect(cc.status == 0, "\(act): generated C does not compile: \(cc.output)")
        }
    }
}
