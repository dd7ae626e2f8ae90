/// Runs a graph node by node on the eager kernels (``Kernels``) — the same calls the modules
/// make, so results are bit-identical to the model's eager forward pass.
enum GraphInterpreter {
    /// Runs `graph` on `inputs` (already checked by the guards, which bound the symbols in
    /// `bindings`) with `constants` for the lifted parameters and buffers.
    static func run(_ graph: Graph, signature: GraphSignature, constants: [String: Tensor], inputs: [Tensor],
                    bindings: [String: Int]) throws -> [Tensor] {
        var env: [String: Tensor] = constants
        for (spec, x) in zip(signature.inputs, inputs) { env[spec.name] = x }
        // Drop intermediates after their last use to keep peak memory down.
        var lastUse: [String: Int] = [:]
        for (i, node) in graph.nodes.enumerated() { for input in node.inputs { lastUse[input] = i } }
        let keep = Set(signature.outputs).union(constants.keys)

        for (i, node) in graph.nodes.enumerated() {
            let args = try node.inputs.map { name -> Tensor in
                guard let t = env[name] else { throw KilnInternalError("graph value %\(name) is undefined at node %\(node.name)") }
                return t
            }
            let y = try execute(node, args)
            guard let expected = node.shape.resolved(bindings), expected == y.shape else {
                throw KilnInternalError("node %\(node.name) produced shape \(y.shape), the graph says \(node.shape.shapeDescription) with \(bindings)")
            }
            env[node.name] = y
            for name in node.inputs where lastUse[name] == i && !keep.contains(name) { env[name] = nil }
        }
        return signature.outputs.map { env[$0]! }
    }

    static func execute(_ node: GraphNode, _ x: [Tensor]) throws -> Tensor {
        let a = node.attributes
        switch node.op {
        case .conv2d:
            let g = Conv2dGeometry(kernelSize: x[1].shape[2], stride: a.stride!, padding: a.padding!,
                                   dilation: a.dilation!, groups: a.groups!)
            return try Kernels.conv2d(x[0], weight: x[1], bias: x.count > 2 ? x[2] : nil, geometry: g)
        case .batchNorm:
            return Kernels.batchNorm(x[0], weight: x[1], bias: x[2], mean: x[3], variance: x[4], eps: a.eps!)
        case .relu:
            return Kernels.relu(x[0])
        case .add:
            return try Kernels.add(x[0], x[1])
        case .maxPool2d:
            return try Kernels.maxPool2d(x[0], kernelSize: a.kernel!, stride: a.stride!, padding: a.padding!,
                                         dilation: a.dilation!, ceilMode: a.ceilMode!)
        case .adaptiveAvgPool2d:
            let o = a.outputSize!
            return Kernels.adaptiveAvgPool2d(x[0], outputSize: (o[0], o[1]))
        case .flatten:
            let s = x[0].shape, start = a.startDim!
            return x[0].reshaped(Array(s[..<start]) + [s[start...].reduce(1, *)])
        case .linear:
            return Kernels.linear(x[0], weight: x[1], bias: x.count > 2 ? x[2] : nil)
        }
    }
}
