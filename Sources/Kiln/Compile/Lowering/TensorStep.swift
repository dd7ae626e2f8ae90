/// An operand of a ``TensorStep``: a value computed at run time or a constant embedded in
/// the library's weights.
enum StepOperand {
    case value(String)
    case constant(Tensor)

    var valueName: String? { if case .value(let v) = self { v } else { nil } }
}

/// A step of the ops imported from ONNX (activations, broadcasting arithmetic, pooling with
/// pads, reductions, layout ops): the graph op, its operands and attributes, emitted by
/// ``Emitters/emitTensorStep(_:_:_:)`` as calls into `kiln_ops.h`.
struct TensorStep {
    var op: GraphOp
    var operands: [StepOperand]
    var attributes: NodeAttributes
    /// Shape of each operand (constants static), in operand order.
    var shapes: [[SymDim]]

    /// The run-time values read.
    var inputs: [String] { operands.compactMap(\.valueName) }

    func renaming(_ renamed: [String: String]) -> TensorStep {
        var s = self
        s.operands = operands.map { o in
            if case .value(let v) = o { return .value(renamed[v] ?? v) }
            return o
        }
        return s
    }

    /// A reshape of a run-time value shares its memory (like flatten).
    var viewSource: String? {
        guard op == .reshape, case .value(let v)? = operands.first else { return nil }
        return v
    }
}
