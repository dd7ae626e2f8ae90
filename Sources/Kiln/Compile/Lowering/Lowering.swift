/// What the compiler needs from an exported program: its graph, signature, ranges and the
/// lifted constants' values. (An `ExportedProgram` converts to it; tests build it directly.)
struct CompileSource {
    var model: String
    var graph: Graph
    var signature: GraphSignature
    var rangeConstraints: [RangeConstraint]
    /// Lifted constants by state-dict key.
    var constants: [String: Tensor]
    /// The program's graph hash, recorded in the library's metadata.
    var graphHash: String
}

/// Exported graph → ``LoweredGraph``: constants resolved to tensors, shapes checked to be
/// what the code generator supports (batch first, everything else static).
enum Lowering {
    static func lower(_ source: CompileSource) throws -> LoweredGraph {
        let sig = source.signature
        for input in sig.inputs { try checkShape(input.shape, of: "input \(input.name)") }
        var nodes: [LoweredNode] = []
        var shapes: [String: [SymDim]] = [:]
        for input in sig.inputs { shapes[input.name] = input.shape }
        let batch = sig.inputs.first?.shape.first
        for node in source.graph.nodes {
            try checkShape(node.shape, of: "node \(node.name)")
            // Every value's dimension 0 is the batch `n` of the generated code.
            if let batch, node.shape.first != batch {
                throw CompileError.unsupported("node \(node.name) (\(node.op)) has shape \(node.shape.shapeDescription), whose dimension 0 is not the batch \(batch); compiled graphs keep the batch in dimension 0")
            }
            defer { shapes[node.name] = node.shape }
            func constant(_ i: Int) throws -> Tensor {
                guard i < node.inputs.count, let t = source.constants[node.inputs[i]] else {
                    throw CompileError.unsupported("\(node.op) \(node.name): input \(i) must be a lifted constant")
                }
                return t
            }
            func optionalConstant(_ i: Int) throws -> Tensor? { i < node.inputs.count ? try constant(i) : nil }
            let a = node.attributes
            let x = node.inputs.first ?? ""
            let op: LoweredOp
            switch node.op {
            case .conv2d:
                let w = try constant(1)
                op = .conv(ConvStep(x: x, weight: w, bias: try optionalConstant(2),
                                    geometry: GraphInterpreter.convGeometry(a, weight: w.shape), fused: [node.name]))
            case .batchNorm:
                op = .batchNorm(x: x, weight: try constant(1), bias: try constant(2), mean: try constant(3),
                                variance: try constant(4), eps: a.eps ?? 1e-5)
            case .relu: op = .relu(x)
            case .add where node.inputs.allSatisfy({ source.constants[$0] == nil && shapes[$0] == node.shape }):
                op = .add(node.inputs[0], node.inputs[1])
            case .maxPool2d where a.kernel != nil && a.stride != nil && a.padding != nil:
                op = .maxPool(x: x, kernel: a.kernel ?? 1, stride: a.stride ?? a.kernel ?? 1, padding: a.padding ?? 0,
                              dilation: a.dilation ?? 1, ceilMode: a.ceilMode ?? false)
            case .adaptiveAvgPool2d:
                let size = a.outputSize ?? [1, 1]
                op = .adaptiveAvgPool(x: x, oh: size[0], ow: size.count > 1 ? size[1] : size[0])
            case .flatten:
                guard (a.startDim ?? 1) == 1 else { throw CompileError.unsupported("flatten \(node.name): only start_dim 1 is supported") }
                op = .flatten(x)
            case .linear:
                op = .linear(x: x, weight: try constant(1), bias: try optionalConstant(2))
            default:
                var node = node
                if let gather = try gatherReducedAxes(&node, shapes: shapes) {
                    nodes.append(gather)
                    shapes[gather.name] = gather.shape
                }
                var operands: [StepOperand] = [], operandShapes: [[SymDim]] = []
                for name in node.inputs {
                    if let t = source.constants[name] {
                        operands.append(.constant(t)); operandShapes.append(.init(static: t.shape))
                    } else {
                        guard let s = shapes[name] else { throw CompileError.unsupported("\(node.op) \(node.name): input \(name) is undefined") }
                        operands.append(.value(name)); operandShapes.append(s)
                    }
                }
                let step = TensorStep(op: node.op, operands: operands, attributes: node.attributes, shapes: operandShapes)
                try step.checkCompilable(output: node.shape, node: node.name)
                op = .tensor(step)
            }
            nodes.append(LoweredNode(name: node.name, op: op, shape: node.shape))
        }
        return LoweredGraph(inputs: sig.inputs, nodes: nodes, outputs: sig.outputs, ranges: source.rangeConstraints)
    }

    /// A reduction over axes that are not one run (`x.amax(dim=(1, 3))`) reads a transposed
    /// copy of its input whose reduced axes come last, in order: the kernel reduces one run,
    /// and the kept axes keep their order, so the output's layout is the same. Returns that
    /// transpose and points `node` at it; nil when nothing is needed (or axis 0 is reduced,
    /// which the step check refuses).
    private static func gatherReducedAxes(_ node: inout GraphNode, shapes: [String: [SymDim]]) throws -> LoweredNode? {
        guard node.op.reduction != nil, let axes = node.attributes.axes, let first = axes.first, first >= 1,
              axes != Array(first..<(first + axes.count)), let x = node.inputs.first, let xs = shapes[x] else { return nil }
        let kept = (0..<xs.count).filter { !axes.contains($0) }
        let perm = kept + axes
        var a = NodeAttributes()
        a.perm = perm
        let name = node.name + "_reduced_axes_last"
        let step = TensorStep(op: .transpose, operands: [.value(x)], attributes: a, shapes: [xs])
        let shape = perm.map { xs[$0] }
        try step.checkCompilable(output: shape, node: name)
        node.inputs[0] = name
        node.attributes.axes = Array(kept.count..<xs.count)
        return LoweredNode(name: name, op: .tensor(step), shape: shape)
    }

    /// Dimension 0 may be symbolic (the batch); the others must be static.
    private static func checkShape(_ shape: [SymDim], of what: String) throws {
        guard !shape.isEmpty else { throw CompileError.unsupported("\(what) is a scalar; compiled graphs need a batch dimension") }
        if shape.dropFirst().contains(where: { $0.staticValue == nil }) {
            throw CompileError.unsupported("\(what) has shape \(shape.map(\.description)); only dimension 0 (the batch) may be symbolic")
        }
    }
}
