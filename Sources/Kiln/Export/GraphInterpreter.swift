/// Runs a graph node by node on the eager kernels (``Kernels``) — the same calls the modules
/// make, so results are bit-identical to the model's eager forward pass.
enum GraphInterpreter {
    /// Runs `graph` on `inputs` (already checked by the guards, which bound the symbols in
    /// `bindings`) with `constants` for the lifted parameters and buffers. `conv`, when given,
    /// may compute a conv2d node itself (nil: the eager kernel does): the bf16 accuracy
    /// budget runs chosen layers on their compiled kernels this way (``BF16Budget``). `record`
    /// sees every node's output; `resume` starts at node `from` of a run on the same inputs
    /// whose earlier outputs `values` holds (what `record` saw), so a run that changes only
    /// later nodes skips the rest.
    static func run(_ graph: Graph, signature: GraphSignature, constants: [String: Tensor], inputs: [Tensor],
                    bindings: [String: Int], conv: ((GraphNode, [Tensor]) throws -> Tensor?)? = nil,
                    record: ((String, Tensor) -> Void)? = nil, resume: (from: Int, values: [String: Tensor])? = nil) throws -> [Tensor] {
        var env: [String: Tensor] = resume?.values ?? [:]
        env.merge(constants) { a, _ in a }
        for (spec, x) in zip(signature.inputs, inputs) { env[spec.name] = x }
        // Drop intermediates after their last use to keep peak memory down.
        var lastUse: [String: Int] = [:]
        for (i, node) in graph.nodes.enumerated() { for input in node.inputs { lastUse[input] = i } }
        let keep = Set(signature.outputs).union(constants.keys)

        for (i, node) in graph.nodes.enumerated() where i >= resume?.from ?? 0 {
            let args = try node.inputs.map { name -> Tensor in
                guard let t = env[name] else { throw KilnInternalError("graph value %\(name) is undefined at node %\(node.name)") }
                return t
            }
            let y = try (node.op == .conv2d ? conv?(node, args) : nil) ?? execute(node, args)
            guard let expected = node.shape.resolved(bindings), expected == y.shape else {
                throw KilnInternalError("node %\(node.name) produced shape \(y.shape), the graph says \(node.shape.shapeDescription) with \(bindings)")
            }
            env[node.name] = y
            record?(node.name, y)
            for name in node.inputs where lastUse[name] == i && !keep.contains(name) { env[name] = nil }
        }
        return signature.outputs.map { env[$0]! }
    }

    static func execute(_ node: GraphNode, _ x: [Tensor]) throws -> Tensor {
        let a = node.attributes
        switch node.op {
        case .conv2d:
            return try Kernels.conv2d(x[0], weight: x[1], bias: x.count > 2 ? x[2] : nil, geometry: convGeometry(a, weight: x[1].shape))
        case .batchNorm:
            return Kernels.batchNorm(x[0], weight: x[1], bias: x[2], mean: x[3], variance: x[4], eps: a.eps!)
        case .relu:
            return Kernels.relu(x[0])
        case .add where x[0].shape == x[1].shape:
            return try Kernels.add(x[0], x[1])
        case .add, .sub, .mul, .div, .maximum, .minimum, .pow:
            return try Kernels.binary(node.op.binaryOp!, x[0], x[1])
        case .maxPool2d:
            if let k = a.kernel, let s = a.stride, let p = a.padding, let d = a.dilation {
                return try Kernels.maxPool2d(x[0], kernelSize: k, stride: s, padding: p, dilation: d, ceilMode: a.ceilMode!)
            }
            let g = a.spatialGeometry()!
            return try Kernels.maxPool2d(x[0], kernel: (g.kernel.h, g.kernel.w), stride: (g.stride.h, g.stride.w),
                                         pads: (g.pads.top, g.pads.left, g.pads.bottom, g.pads.right),
                                         dilation: (g.dilation.h, g.dilation.w), ceilMode: a.ceilMode!)
        case .avgPool2d:
            let g = a.spatialGeometry()!
            return try Kernels.avgPool2d(x[0], kernel: (g.kernel.h, g.kernel.w), stride: (g.stride.h, g.stride.w),
                                         pads: (g.pads.top, g.pads.left, g.pads.bottom, g.pads.right),
                                         ceilMode: a.ceilMode!, countIncludePad: a.countIncludePad!)
        case .globalMaxPool2d:
            return Kernels.globalMaxPool(x[0])
        case .clip, .leakyRelu, .sigmoid, .hardSigmoid, .hardSwish, .silu, .tanh,
             .elu, .selu, .softplus, .softsign, .exp, .log, .sqrt, .neg, .abs, .sign, .reciprocal, .shrink, .erf, .gelu,
             .sin, .cos, .tan, .asin, .acos, .atan, .sinh, .cosh, .asinh, .acosh, .atanh, .floor, .ceil, .round, .mish, .celu, .thresholdedRelu:
            return Kernels.activation(x[0], node.activation!)
        case .reduceMean, .reduceMax, .reduceMin, .reduceProd, .reduceL1, .reduceL2, .reduceSumSquare, .reduceLogSum, .reduceLogSumExp:
            return Kernels.reduce(node.op.reduction!, x[0], axes: a.axes!, keepDims: a.keepDims!)
        case .softmax:
            return Kernels.softmax(x[0], axis: a.axis!)
        case .logSoftmax:
            return Kernels.softmax(x[0], axis: a.axis!, log: true)
        case .lrn:
            return Kernels.lrn(x[0], size: a.size!, alpha: a.alpha!, beta: a.beta!, bias: a.bias!)
        case .matmul:
            return try Kernels.matmul(x[0], x[1])
        case .reshape:
            return x[0].reshaped(resolvedReshape(x[0].shape, a.shape!))
        case .transpose:
            return Kernels.transpose(x[0], perm: a.perm!)
        case .concat:
            return try Kernels.concat(x, axis: a.axis!)
        case .slice:
            return Kernels.slice(x[0], starts: a.starts!, ends: a.ends!, axes: a.axes!, steps: a.steps!)
        case .expand:
            let target = a.shape!, batch = target[0] != 0 ? target[0] : (x.count > 1 ? x[1] : x[0]).shape[0]
            return Kernels.expand(x[0], to: [batch] + target.dropFirst())
        case .pad:
            return Kernels.pad(x[0], pads: a.pads!, mode: PadMode(rawValue: a.mode!)!, value: a.value!)
        case .adaptiveAvgPool2d:
            let o = a.outputSize!
            return Kernels.adaptiveAvgPool2d(x[0], outputSize: (o[0], o[1]))
        case .flatten:
            let s = x[0].shape, start = a.startDim!
            return x[0].reshaped(Array(s[..<start]) + [s[start...].reduce(1, *)])
        case .linear:
            let s = x[0].shape
            guard s.count != 2 else { return Kernels.linear(x[0], weight: x[1], bias: x.count > 2 ? x[2] : nil) }
            let rows = x[0].reshaped([s.dropLast().reduce(1, *), s[s.count - 1]])
            return Kernels.linear(rows, weight: x[1], bias: x.count > 2 ? x[2] : nil).reshaped(s.dropLast() + [x[1].shape[0]])
        }
    }

    /// The kernels' geometry for a conv2d node (square or rectangular attributes).
    static func convGeometry(_ a: NodeAttributes, weight: [Int]) -> Conv2dGeometry {
        let g = a.spatialGeometry(kernel: (weight[2], weight[3]))!
        return Conv2dGeometry(kernel: g.kernel, stride: g.stride, dilation: g.dilation, pads: g.pads, groups: a.groups!)
    }

    /// ONNX reshape of a concrete shape: 0 copies, -1 infers.
    static func resolvedReshape(_ from: [Int], _ target: [Int]) -> [Int] {
        var out = target.enumerated().map { $0.element == 0 ? from[$0.offset] : $0.element }
        if let hole = out.firstIndex(of: -1) {
            let known = out.enumerated().filter { $0.offset != hole }.reduce(1) { $0 * $1.element }
            out[hole] = known == 0 ? 0 : from.reduce(1, *) / known
        }
        return out
    }
}
