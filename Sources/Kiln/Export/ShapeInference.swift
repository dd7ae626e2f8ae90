/// Why a node's output shape cannot be inferred.
enum ShapeInferenceFailure: Error, Sendable {
    /// The shapes or attributes do not fit the op (a plain message).
    case mismatch(String)
    /// Input `inputIndex`'s dimension `dimension` is the symbol `symbol`, but the op needs it static.
    case symbolic(symbol: String, inputIndex: Int, dimension: Int, reason: String)

    var message: String {
        switch self {
        case .mismatch(let m): m
        case .symbolic(_, _, _, let reason): reason
        }
    }
}

/// Output shapes of graph ops over symbolic shapes — the same rules capture uses to build
/// the graph and loading uses to check it. Symbols may only flow through dimension 0 (the
/// batch); every other dimension an op looks at must be static.
enum ShapeInference {
    /// Largest size an integer attribute may have (keeps size arithmetic far from overflow).
    static let attributeLimit = 1 << 20
    /// Largest static dimension (the kernels take 32-bit sizes).
    static let dimensionLimit = Int(Int32.max)

    /// Elements per batch row (the product of the static dimensions), or nil when it
    /// overflows Int. The kernels index a row's elements with 32-bit ints, so a value above
    /// ``dimensionLimit`` cannot run.
    static func elementsPerRow(_ shape: [SymDim]) -> Int? {
        var perRow = 1
        for case .static(let n) in shape {
            let (p, overflow) = perRow.multipliedReportingOverflow(by: n)
            if overflow { return nil }
            perRow = p
        }
        return perRow
    }

    static func outputShape(_ op: GraphOp, _ a: NodeAttributes, _ inputs: [[SymDim]]) throws(ShapeInferenceFailure) -> [SymDim] {
        guard op.arity.contains(inputs.count) else {
            throw .mismatch("\(op) takes \(arityText(op)) inputs, got \(inputs.count)")
        }
        for name in op.requiredAttributes where !a.presentNames.contains(name) {
            throw .mismatch("\(op) needs the attribute \(name)")
        }
        let ints = a.allIntegers
        guard ints.count <= 4 * attributeLimit, ints.allSatisfy({ (-attributeLimit...attributeLimit).contains($0) }) else {
            throw .mismatch("\(op): an attribute exceeds \(attributeLimit)")
        }
        let x = inputs[0]
        switch op {
        case .relu:
            return x
        case .add, .sub, .mul, .div, .maximum, .minimum, .pow:
            return try broadcast(x, inputs[1], op)
        case .clip, .leakyRelu, .sigmoid, .hardSigmoid, .hardSwish, .silu, .tanh,
             .elu, .selu, .softplus, .softsign, .exp, .log, .sqrt, .neg, .abs, .sign, .reciprocal, .shrink, .erf, .gelu,
             .sin, .cos, .tan, .asin, .acos, .atan, .sinh, .cosh, .asinh, .acosh, .atanh, .floor, .ceil, .round, .mish, .celu, .thresholdedRelu:
            try checkActivation(op, a)
            return x
        case .avgPool2d, .globalMaxPool2d:
            return try pool2d(op, a, x)
        case .reduceMean, .reduceMax, .reduceMin, .reduceProd, .reduceL1, .reduceL2, .reduceSumSquare, .reduceLogSum, .reduceLogSumExp,
             .softmax, .logSoftmax, .lrn, .matmul, .reshape, .transpose, .concat, .slice, .pad, .expand:
            return try tensorOp(op, a, inputs)
        case .conv2d:
            return try conv2d(a, inputs)
        case .batchNorm:
            guard x.count >= 2 else { throw .mismatch("batch_norm expects (N, C, ...), got \(x.shapeDescription)") }
            let c = try staticDim(x, 1, inputIndex: 0, op)
            for (i, p) in inputs.enumerated().dropFirst() where p != [.static(c)] {
                throw .mismatch("batch_norm: input \(i) has shape \(p.shapeDescription), expected [\(c)] for \(c) channels")
            }
            guard let eps = a.eps, eps.isFinite, eps >= 0 else { throw .mismatch("batch_norm: eps must be a finite number ≥ 0") }
            return x
        case .maxPool2d:
            try expectRank(x, 4, op)
            guard let k = a.kernel, a.stride != nil, a.padding != nil, a.dilation != nil else { return try pool2d(op, a, x) }
            let s = a.stride!, p = a.padding!, d = a.dilation!
            guard k >= 1, s >= 1, d >= 1, p >= 0, p <= k / 2 else {
                throw .mismatch("max_pool2d: invalid kernel \(k), stride \(s), padding \(p), dilation \(d) (padding must be at most half the kernel)")
            }
            let h = try staticDim(x, 2, inputIndex: 0, op), w = try staticDim(x, 3, inputIndex: 0, op)
            _ = try staticDim(x, 1, inputIndex: 0, op)
            let oh = poolOut(h, k, s, p, d, a.ceilMode!), ow = poolOut(w, k, s, p, d, a.ceilMode!)
            guard oh >= 1, ow >= 1 else { throw .mismatch("max_pool2d: input \(x.shapeDescription) is smaller than its \(k)x\(k) window") }
            return [x[0], x[1], .static(oh), .static(ow)]
        case .adaptiveAvgPool2d:
            try expectRank(x, 4, op)
            guard let o = a.outputSize, o.count == 2, o[0] >= 1, o[1] >= 1 else {
                throw .mismatch("adaptive_avg_pool2d: output_size must be two sizes ≥ 1")
            }
            for d in 1...3 { _ = try staticDim(x, d, inputIndex: 0, op) }
            guard x[2] != .static(0), x[3] != .static(0) else { throw .mismatch("adaptive_avg_pool2d: empty input \(x.shapeDescription)") }
            return [x[0], x[1], .static(o[0]), .static(o[1])]
        case .flatten:
            let start = a.startDim!
            guard start >= 0, start < x.count else { throw .mismatch("flatten: input \(x.shapeDescription) has no dimension \(start)") }
            var n = 1
            for d in start..<x.count {
                let (product, overflow) = n.multipliedReportingOverflow(by: try staticDim(x, d, inputIndex: 0, op))
                guard !overflow, product <= dimensionLimit else { throw .mismatch("flatten: \(x.shapeDescription) has too many elements") }
                n = product
            }
            return Array(x[..<start]) + [.static(n)]
        case .linear:
            let w = inputs[1]
            guard w.count == 2, let ws = w.staticShape else { throw .mismatch("linear: weight must be a static (OUT, IN) matrix, got \(w.shapeDescription)") }
            guard x.count >= 2 else { throw .mismatch("linear expects (N, …, \(ws[1])), got \(x.shapeDescription)") }
            let inF = try staticDim(x, x.count - 1, inputIndex: 0, op)
            guard inF == ws[1] else { throw .mismatch("linear: input \(x.shapeDescription) has \(inF) features, weight \(w.shapeDescription) expects \(ws[1])") }
            if inputs.count == 3, inputs[2] != [.static(ws[0])] {
                throw .mismatch("linear: bias has shape \(inputs[2].shapeDescription), expected [\(ws[0])]")
            }
            for d in 1..<x.count { _ = try staticDim(x, d, inputIndex: 0, op) }
            return Array(x.dropLast()) + [.static(ws[0])]
        }
    }

    private static func conv2d(_ a: NodeAttributes, _ inputs: [[SymDim]]) throws(ShapeInferenceFailure) -> [SymDim] {
        let x = inputs[0], w = inputs[1]
        try expectRank(x, 4, .conv2d)
        guard w.count == 4, let ws = w.staticShape, ws.allSatisfy({ $0 >= 1 }) else {
            throw .mismatch("conv2d: weight must be a static (OC, C/groups, KH, KW) tensor, got \(w.shapeDescription)")
        }
        let present = a.presentNames
        for (square, rect) in [("stride", "strides"), ("padding", "pads"), ("dilation", "dilations")]
        where !present.contains(square) && !present.contains(rect) {
            throw .mismatch("conv2d needs the attribute \(square)")
        }
        guard let geo = a.spatialGeometry(kernel: (ws[2], ws[3])) else {
            throw .mismatch("conv2d: strides, pads and dilations must hold 2, 4 and 2 sizes")
        }
        let g = a.groups!
        guard geo.isValid, g >= 1, ws[0] % g == 0 else {
            // Square geometry keeps the message of Kiln's own models.
            let what = geo.isSquareSymmetric ? "stride \(geo.stride.h), padding \(geo.pads.top), dilation \(geo.dilation.h)" : geo.text
            throw .mismatch("conv2d: invalid \(what) or groups \(g) for weight \(w.shapeDescription)")
        }
        let c = try staticDim(x, 1, inputIndex: 0, .conv2d)
        guard c == ws[1] * g else {
            throw .mismatch("conv2d: input \(x.shapeDescription) has \(c) channels, weight \(w.shapeDescription) with groups \(g) expects \(ws[1] * g)")
        }
        let h = try staticDim(x, 2, inputIndex: 0, .conv2d), wd = try staticDim(x, 3, inputIndex: 0, .conv2d)
        let oh = convOut(h, ws[2], geo.stride.h, geo.pads.top, geo.pads.bottom, geo.dilation.h)
        let ow = convOut(wd, ws[3], geo.stride.w, geo.pads.left, geo.pads.right, geo.dilation.w)
        guard oh >= 1, ow >= 1 else {
            throw .mismatch("conv2d: input \(x.shapeDescription) is smaller than its \(ws[2])x\(ws[3]) kernel")
        }
        if inputs.count == 3, inputs[2] != [.static(ws[0])] {
            throw .mismatch("conv2d: bias has shape \(inputs[2].shapeDescription), expected [\(ws[0])]")
        }
        return [x[0], .static(ws[0]), .static(oh), .static(ow)]
    }

    /// floor((in + 2p - d(k-1) - 1) / s) + 1, as `kiln_conv_out_dim`.
    static func convOut(_ n: Int, _ k: Int, _ s: Int, _ p: Int, _ d: Int) -> Int {
        convOut(n, k, s, p, p, d)
    }

    /// floor((in + p0 + p1 - d(k-1) - 1) / s) + 1 with begin and end pads.
    static func convOut(_ n: Int, _ k: Int, _ s: Int, _ p0: Int, _ p1: Int, _ d: Int) -> Int {
        floorDiv(n + p0 + p1 - d * (k - 1) - 1, s) + 1
    }

    /// PyTorch's pooling output size (with ceil_mode the last window must start inside the
    /// input or the left padding), as the pooling kernel computes it.
    static func poolOut(_ n: Int, _ k: Int, _ s: Int, _ p: Int, _ d: Int, _ ceil: Bool) -> Int {
        var out = floorDiv(n + 2 * p - d * (k - 1) - 1 + (ceil ? s - 1 : 0), s) + 1
        if ceil, (out - 1) * s >= n + p { out -= 1 }
        return out
    }

    static func floorDiv(_ a: Int, _ b: Int) -> Int {
        let q = a / b
        return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q
    }

    static func expectRank(_ x: [SymDim], _ rank: Int, _ op: GraphOp) throws(ShapeInferenceFailure) {
        guard x.count == rank else { throw .mismatch("\(op) expects a \(rank)-D input (N, C, H, W), got \(x.shapeDescription)") }
    }

    static func staticDim(_ x: [SymDim], _ d: Int, inputIndex: Int, _ op: GraphOp) throws(ShapeInferenceFailure) -> Int {
        switch x[d] {
        case .static(let n): return n
        case .symbol(let s):
            throw .symbolic(symbol: s, inputIndex: inputIndex, dimension: d,
                            reason: "\(op) needs dimension \(d) of its input \(x.shapeDescription) to be static, but it is the symbol \(s)")
        }
    }

    private static func arityText(_ op: GraphOp) -> String {
        op.arity.count == 1 ? "\(op.arity.lowerBound)" : "\(op.arity.lowerBound) or \(op.arity.upperBound)"
    }
}
