import Foundation

/// Runs a program in-process on seeded inputs with chosen convolutions on their bf16 kernels
/// (``BF16Budget``): the graph interpreter computes every other node (and every other
/// convolution, in fp32), and a convolution named in `bf16` runs its algorithm's kernel
/// in-process (``ConvShape/run``: Kiln's own build of the library's kernel source) on its
/// unfolded weights and bias, so the check sees the kernel's rounding, Winograd transforms
/// included.
struct BF16Check {
    let source: CompileSource
    let inputs: [Tensor]
    let bindings: [String: Int]

    /// Seeded standard normals shaped like `exampleInputs`, with dimension 0 set to `batch`
    /// where it is the symbolic batch (so the check does not depend on the example's batch),
    /// unless the batch's range refuses it (then the example's).
    init(source: CompileSource, exampleInputs: [Tensor], batch: Int) {
        self.source = source
        let guards = InputGuards(inputs: source.signature.inputs, rangeConstraints: source.rangeConstraints)
        func seeded(_ batched: Bool) -> [Tensor] {
            exampleInputs.enumerated().map { i, x in
                var shape = x.shape
                if batched, source.signature.inputs[i].shape.first?.staticValue == nil, !shape.isEmpty { shape[0] = batch }
                return Tensor.randn(shape, seed: 2026 + UInt64(i))
            }
        }
        if let b = try? guards.check(seeded(true)) {
            inputs = seeded(true); bindings = b
        } else {
            inputs = seeded(false); bindings = (try? guards.check(inputs)) ?? [:]
        }
    }

    /// The outputs with the convolutions named in `bf16` (graph node → algorithm) on that kernel.
    func run(bf16: [String: ConvAlgorithm]) throws -> [Tensor] {
        try GraphInterpreter.run(source.graph, signature: source.signature, constants: source.constants, inputs: inputs,
                                 bindings: bindings, conv: Self.hook(bf16))
    }

    /// The all-fp32 outputs and every node's output on the way (for ``run(alone:_:from:)``).
    func reference() throws -> (outputs: [Tensor], values: [String: Tensor]) {
        var values: [String: Tensor] = [:]
        let outputs = try GraphInterpreter.run(source.graph, signature: source.signature, constants: source.constants,
                                               inputs: inputs, bindings: bindings, record: { values[$0] = $1 })
        return (outputs, values)
    }

    /// The outputs with only convolution `step` on `algorithm`'s kernel: the nodes before it
    /// are not run again but read from the reference's `values`.
    func run(alone step: String, _ algorithm: ConvAlgorithm, from values: [String: Tensor]) throws -> [Tensor] {
        let start = source.graph.nodes.firstIndex { $0.name == step } ?? 0
        return try GraphInterpreter.run(source.graph, signature: source.signature, constants: source.constants, inputs: inputs,
                                        bindings: bindings, conv: Self.hook([step: algorithm]), resume: (start, values))
    }

    static func hook(_ bf16: [String: ConvAlgorithm]) -> (GraphNode, [Tensor]) throws -> Tensor? {
        { node, args in
            guard let a = bf16[node.name], args.count >= 2, args[0].rank == 4, args[1].rank == 4 else { return nil }
            return conv(a, node: node, x: args[0], weight: args[1], bias: args.count > 2 ? args[2] : nil)
        }
    }

    /// One convolution on algorithm `a`'s kernel (no fused epilogue beyond the bias); nil when
    /// `a` does not apply to this node's geometry (the eager kernel runs it then).
    static func conv(_ a: ConvAlgorithm, node: GraphNode, x: Tensor, weight: Tensor, bias: Tensor?) -> Tensor? {
        let step = ConvStep(x: "", weight: weight, bias: bias, geometry: GraphInterpreter.convGeometry(node.attributes, weight: weight.shape))
        let s = ConvShape(step: step, inputRow: Array(x.shape.dropFirst()), batch: x.shape[0])
        guard s.applies(a) else { return nil }
        let (oh, ow) = s.outputSize
        let y = Tensor.zeros([s.n, s.oc, oh, ow])
        let packed = s.packedWeights(weight, for: a)
        var ws = [Float](repeating: 0, count: max(s.workspace(a), 1))
        packed.withUnsafeBufferPointer { pp in
            ws.withUnsafeMutableBufferPointer { wsp in
                s.run(a, x: UnsafePointer(x.storage.base), packed: pp.baseAddress!, bias: bias.map { UnsafePointer($0.storage.base) },
                      residual: nil, activation: .none, y: y.storage.base, workspace: wsp.baseAddress)
            }
        }
        return y
    }

    /// max over outputs of max |Δ| / max |reference|.
    func error(_ got: [Tensor], _ reference: [Tensor]) -> Float {
        zip(got, reference).reduce(0) { worst, pair in
            let c = pair.0.compare(to: pair.1, rtol: 0, atol: 0)
            return max(worst, c.maxAbsDifference / max(c.maxAbsReference, .leastNormalMagnitude))
        }
    }
}
