/// Whether a compiled library may run a batch image by image (kiln_graph.h `rows_independent`)
/// and whether it does so by default (`split_batch`).
extension LoweredGraph {
    /// Every input, step and output has the same symbolic batch as dimension 0, and no step
    /// mixes rows (the compiled ops keep batch rows apart, see ``TensorStep/checkCompilable``,
    /// except a matmul whose right operand is a run-time matrix (n, k): that one multiplies
    /// across rows). Then forward(1) on every image gives what forward(n) gives.
    var rowsIndependent: Bool {
        guard let symbol = inputs.first?.shape.first?.symbolName else { return false }
        let shapes = self.shapes
        func batched(_ v: String) -> Bool { shapes[v]?.first?.symbolName == symbol }
        guard inputs.allSatisfy({ batched($0.name) }), nodes.allSatisfy({ batched($0.name) }),
              outputs.allSatisfy(batched) else { return false }
        return !nodes.contains { node in
            guard case .tensor(let t) = node.op, t.op == .matmul else { return false }
            return t.operands.count > 1 && t.operands[1].valueName != nil && t.shapes[1].count == 2
        }
    }

    /// Split batches by default when the graph has depthwise convolutions: the
    /// depthwise-separable networks (MobileNet, EfficientNet, ShuffleNet) have wide, cheap
    /// layers whose batch-32 activations do not fit in any cache, while one image's do.
    var splitsBatch: Bool {
        rowsIndependent && nodes.contains { node in
            guard case .conv(let c) = node.op, c.groups > 1, c.weight.rank == 4 else { return false }
            return c.weight.shape[0] == c.groups && c.weight.shape[1] == 1
        }
    }
}
