/// LayerNormalization, Gelu and the Erf form of GELU: what ConvNeXt-style networks add to a CNN.
extension ONNXImporter {
    /// Gelu (opset 20): `approximate` "none" (erf) or "tanh", PyTorch's two forms.
    func importGelu() throws(ONNXImportError) -> ImportValue {
        let mode = try string("approximate", "none")
        guard mode == "none" || mode == "tanh" else {
            throw unsupported("approximate \"\(mode)\" (ONNX defines none and tanh)", fix: "re-export with approximate=\"none\" or \"tanh\"")
        }
        var a = NodeAttributes()
        a.mode = mode
        return try apply(.gelu, [try required(0)], a)
    }

    /// torch.onnx.export before opset 20 writes exact GELU as (x · (erf(x / √2) + 1)) · 0.5.
    /// Called for a `Mul` by a constant 0.5: the GELU of x when `t` is that product (either
    /// operand order), else nil. The intermediate nodes become dead and are dropped with the
    /// other unused nodes.
    func geluInput(_ t: GraphValue) -> GraphValue? {
        guard let product = producer[t.name], product.op == .mul, product.inputs.count == 2 else { return nil }
        for (x, sum) in [(product.inputs[0], product.inputs[1]), (product.inputs[1], product.inputs[0])] {
            guard let add = producer[sum], add.op == .add, add.inputs.count == 2 else { continue }
            for (e, one) in [(add.inputs[0], add.inputs[1]), (add.inputs[1], add.inputs[0])] where liftedScalar(one) == 1 {
                guard let erf = producer[e], erf.op == .erf, let scaled = producer[erf.inputs[0]], scaled.inputs.first == x,
                      scaled.inputs.count == 2, let c = liftedScalar(scaled.inputs[1]) else { continue }
                let isHalfRoot2 = (scaled.op == .div && abs(c - 1.41421356) < 1e-6) || (scaled.op == .mul && abs(c - 0.70710678) < 1e-6)
                if isHalfRoot2, let shape = producer[x]?.shape ?? inputs.first(where: { $0.name == x })?.shape { return GraphValue(name: x, shape: shape) }
            }
        }
        return nil
    }

    /// The value of a lifted constant with one element, or nil.
    func liftedScalar(_ name: String) -> Float? {
        guard let (_, tensor) = lifted.first(where: { $0.0.name == name }), tensor.count == 1 else { return nil }
        return tensor.scalars[0]
    }

    /// ``NormalisationChain`` over `axes` in this importer's values.
    func normalise(_ x: ImportValue, axes: [Int], eps: Float) throws(ONNXImportError) -> (normalised: ImportValue, mean: ImportValue, std: ImportValue) {
        try NormalisationChain.build(x, axes: axes, eps: .constant(ONNXConstant(shape: [], floats: [eps]))) { (op, args, attributes, suffix) throws(ONNXImportError) in
            try apply(op, args, attributes, suffix: suffix)
        }
    }

    /// LayerNormalization (opset 17): over the axes from `axis` to the last,
    /// y = (x − mean) / √(var + ε) · Scale + B (biased variance), Scale and B broadcast over the
    /// leading axes; the optional outputs Mean and InvStdDev (kept dims) as well.
    func importLayerNorm() throws(ONNXImportError) -> [ImportValue] {
        let x = try required(0)
        let xs = shape(x)
        let first = try axis(try int("axis", -1), rank: xs.count)
        let normalized = Array(xs[first...])
        guard normalized.allSatisfy({ $0.staticValue != nil }) else {
            throw unsupported("LayerNormalization over axes \(first)..<\(xs.count) of \(xs.shapeDescription), which include the symbolic batch",
                              fix: "normalise over the trailing feature axes only (axis ≥ 1)")
        }
        let eps = try finite("epsilon", 1e-5)
        guard eps >= 0 else { throw unsupported("epsilon \(eps) is negative", fix: "re-export with epsilon ≥ 0 (PyTorch's default is 1e-5)") }
        let scale = try required(1), bias = try input(2)
        for (name, v) in [("Scale", scale)] + (bias.map { [("B", $0)] } ?? []) {
            let vs = shape(v)
            guard vs.count <= normalized.count, zip(vs.reversed(), normalized.reversed()).allSatisfy({ $0.staticValue == 1 || $0 == $1 }) else {
                throw shapeError("\(name) \(vs.shapeDescription) does not broadcast to the normalised shape \(normalized.shapeDescription)")
            }
        }
        let (normalised, mean, std) = try normalise(x, axes: Array(first..<xs.count), eps: eps)
        let y: ImportValue
        if let bias {
            y = try apply(.add, [try apply(.mul, [normalised, scale], suffix: "_scaled"), bias])
        } else {
            y = try apply(.mul, [normalised, scale])
        }
        // Mean and InvStdDev cost nodes only when read: unread ones are dropped as dead.
        return [y, mean, try apply(.reciprocal, [std], suffix: "_inv_std")]
    }
}
