/// `aten.layer_norm` / `aten.native_layer_norm`: what ConvNeXt-style networks add to a CNN
/// (with `aten.gelu`, an activation).
extension PT2Importer {
    /// `aten.layer_norm(input, normalized_shape, weight?, bias?, eps=1e-5, cudnn_enable)` and
    /// core ATen's `native_layer_norm(input, normalized_shape, weight?, bias?, eps)`, whose
    /// mean and rstd outputs are training aids (the dispatcher refuses a graph reading them):
    /// ``NormalisationChain`` over the trailing `normalized_shape` axes, then weight and bias.
    func importLayerNorm() throws(PT2ImportError) -> PT2Value {
        let x = try tensor("input")
        let xs = shape(x)
        let normalized = try ints("normalized_shape", [])
        guard !normalized.isEmpty, normalized.count < xs.count, xs.suffix(normalized.count).map(\.staticValue) == normalized.map({ Optional($0) }) else {
            throw shapeError("layer_norm over normalized_shape \(normalized) of an input shaped \(xs.shapeDescription): it must name the input's trailing, static dimensions")
        }
        let eps = try double("eps", 1e-5) ?? 1e-5
        guard eps.isFinite, eps >= 0 else { throw unsupported("layer_norm with eps \(eps)", fix: "export with a finite eps ≥ 0 (PyTorch's default is 1e-5)") }
        let axes = Array(xs.count - normalized.count..<xs.count)
        var y = try NormalisationChain.build(x, axes: axes, eps: scalarConstant(Float(eps))) { (op, args, attributes, _) throws(PT2ImportError) in
            try apply(op, args, attributes)
        }.normalised
        if let weight = try optionalTensor("weight") { y = try apply(.mul, [y, weight]) }
        if let bias = try optionalTensor("bias") { y = try apply(.add, [y, bias]) }
        return y
    }
}
