/// Elementwise math (Exp, Sqrt, Elu, Erf, …), InstanceNormalization, ReduceSum and Tile.
extension ONNXImporter {
    /// ONNX's one-input math operators and the Kiln op each becomes.
    static let unaryMathOps: [String: GraphOp] = [
        "Elu": .elu, "Selu": .selu, "Softplus": .softplus, "Softsign": .softsign, "Exp": .exp, "Log": .log,
        "Sqrt": .sqrt, "Neg": .neg, "Abs": .abs, "Sign": .sign, "Reciprocal": .reciprocal, "Shrink": .shrink, "Erf": .erf,
        "Sin": .sin, "Cos": .cos, "Tan": .tan, "Asin": .asin, "Acos": .acos, "Atan": .atan, "Sinh": .sinh, "Cosh": .cosh,
        "Asinh": .asinh, "Acosh": .acosh, "Atanh": .atanh, "Floor": .floor, "Ceil": .ceil, "Round": .round, "Mish": .mish,
        "Celu": .celu, "ThresholdedRelu": .thresholdedRelu,
    ]

    /// The attributes' meaning has not changed since opset 6 (opset 1's `consumed_inputs`
    /// was an optimisation hint, ignored here); newer opsets only added input types.
    /// Shrink exists since opset 9.
    func importUnaryMath() throws(ONNXImportError) -> ImportValue {
        let op = Self.unaryMathOps[node.opType]!
        var a = NodeAttributes()
        switch op {
        case .elu: a.alpha = try finite("alpha", 1)
        case .selu: a.alpha = try finite("alpha", 1.67326319217681884765625); a.beta = try finite("gamma", 1.05070102214813232421875)
        case .shrink: a.alpha = try finite("lambd", 0.5); a.beta = try finite("bias", 0)
        case .celu:
            a.alpha = try finite("alpha", 1)
            guard a.alpha != 0 else { throw unsupported("Celu's alpha is 0; it divides x", fix: "re-export the model with a nonzero alpha") }
        case .thresholdedRelu: a.alpha = try finite("alpha", 1)
        default: break
        }
        return try apply(op, [try required(0)], a)
    }

    /// A float attribute that must be finite (NaN or ±inf would poison every output).
    func finite(_ name: String, _ fallback: Float) throws(ONNXImportError) -> Float {
        let v = try float(name, fallback)
        guard v.isFinite else { throw unsupported("attribute \(name) is \(v); it must be a finite number", fix: "re-export the model with a finite \(name)") }
        return v
    }

    /// y = scale · (x − mean) / √(var + ε) + B, statistics per sample and channel over the
    /// spatial axes (biased variance).
    func importInstanceNorm() throws(ONNXImportError) -> ImportValue {
        let x = try required(0)
        let xs = shape(x)
        guard xs.count >= 3, let c = xs[1].staticValue else {
            throw shapeError("InstanceNormalization needs an (N, C, D1, …) input with a static C, got \(xs.shapeDescription)")
        }
        let scale = try requireConstant(1, "scale"), bias = try requireConstant(2, "B")
        guard scale.shape == [c], bias.shape == [c] else {
            throw shapeError("scale \(scale.shape) and B \(bias.shape) must both have shape [\(c)] for \(c) channels")
        }
        let eps = try finite("epsilon", 1e-5)
        guard eps >= 0 else { throw unsupported("epsilon \(eps) is negative", fix: "re-export with epsilon ≥ 0 (PyTorch's default is 1e-5)") }
        let perChannel = [c] + [Int](repeating: 1, count: xs.count - 2)
        let normalised = try normalise(x, axes: Array(2..<xs.count), eps: eps).normalised
        let scaled = try apply(.mul, [normalised, .constant(ONNXConstant(shape: perChannel, floats: scale.floatValues))], suffix: "_scaled")
        return try apply(.add, [scaled, .constant(ONNXConstant(shape: perChannel, floats: bias.floatValues))])
    }

    /// The axes a Reduce* node reduces (sorted, normalised), or nil for the identity
    /// (`noop_with_empty_axes`). Axes are an attribute before opset 13 (ReduceSum) or 18
    /// (the others), an optional input since.
    func reductionAxes(rank: Int, axesInputSince: Int) throws(ONNXImportError) -> [Int]? {
        var axes = opset >= axesInputSince ? (try input(1) == nil ? [] : try staticInts(1, "axes")) : (try ints("axes") ?? [])
        if axes.isEmpty {
            if opset >= axesInputSince, try int("noop_with_empty_axes", 0) != 0 { return nil }
            axes = Array(0..<rank)
        }
        var normalized: [Int] = []
        for a in axes { normalized.append(try axis(a, rank: rank)) }
        return Array(Set(normalized)).sorted()
    }

    /// The mean times the (static) number of elements reduced.
    func importReduceSum() throws(ONNXImportError) -> ImportValue {
        let x = try required(0)
        let xs = shape(x)
        guard let axes = try reductionAxes(rank: xs.count, axesInputSince: 13) else { return x }
        var count = 1
        for a in axes {
            guard let n = xs[a].staticValue else {
                throw unsupported("ReduceSum over the symbolic batch (axis \(a))", fix: "reduce the other axes, or re-export with a static batch")
            }
            count *= n
        }
        var attrs = NodeAttributes()
        attrs.axes = axes; attrs.keepDims = try int("keepdims", 1) != 0
        let mean = try apply(.reduceMean, [x], attrs, suffix: "_mean")
        return count == 1 ? mean : try apply(.mul, [mean, .constant(ONNXConstant(shape: [], floats: [Float(count)]))])
    }

    /// Tile (opset 6+: `repeats` a constant int64 input, one per axis) as concatenations of
    /// copies along every repeated axis.
    func importTile() throws(ONNXImportError) -> ImportValue {
        guard opset >= 6 else {
            throw unsupported("Tile before opset 6 (tiles and axis inputs)", fix: "re-export the model with opset ≥ 6")
        }
        var x = try required(0)
        let xs = shape(x)
        let repeats = try staticInts(1, "repeats")
        guard repeats.count == xs.count else { throw shapeError("repeats \(repeats) needs one entry per axis of the rank-\(xs.count) input") }
        guard repeats.allSatisfy({ $0 >= 1 }) else {
            throw unsupported("repeats \(repeats) has an entry below 1; Kiln makes no empty tensors", fix: "drop the Tile (a repeat of 0 empties the tensor)")
        }
        var elements = 1.0
        for (d, r) in zip(xs, repeats) { elements *= Double(d.staticValue ?? 1) * Double(r) }
        guard elements <= Double(limits.maxTensorElements), repeats.allSatisfy({ $0 <= GraphOp.maxConcatInputs }) else {
            throw .limitExceeded(location, what: "Tile repeats \(repeats) of \(xs.shapeDescription) would make \(elements) elements per batch row (at most \(limits.maxTensorElements), \(GraphOp.maxConcatInputs) copies per axis)",
                                 limit: .maxTensorElements, bound: limits.maxTensorElements, remedy: "tile less, or raise ONNXImportLimits.maxTensorElements")
        }
        for (axis, r) in repeats.enumerated() where r > 1 {
            var a = NodeAttributes()
            a.axis = axis
            x = try apply(.concat, [ImportValue](repeating: x, count: r), a, suffix: axis == repeats.lastIndex(where: { $0 > 1 }) ? "" : "_axis\(axis)")
        }
        return x
    }
}
