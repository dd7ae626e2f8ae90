/// (x − mean) / √(var + ε) over some axes (biased variance) as graph ops — mean, difference,
/// squared mean, sqrt and divide — for every importer: ONNX's InstanceNormalization and
/// LayerNormalization, and PyTorch's `layer_norm`, differ only in the axes.
enum NormalisationChain {
    /// `apply(op, inputs, attributes, suffix)` emits (or folds) one op in the importer's own
    /// value type; `eps` is that importer's scalar constant. Returns the normalised value, the
    /// mean and the standard deviation (both with the reduced axes kept).
    static func build<Value, Failure: Error>(_ x: Value, axes: [Int], eps: Value,
                                             apply: (GraphOp, [Value], NodeAttributes, String) throws(Failure) -> Value)
        throws(Failure) -> (normalised: Value, mean: Value, std: Value) {
        var attributes = NodeAttributes()
        attributes.axes = axes; attributes.keepDims = true
        let mean = try apply(.reduceMean, [x], attributes, "_mean")
        let centred = try apply(.sub, [x, mean], .init(), "_centred")
        let variance = try apply(.reduceMean, [try apply(.mul, [centred, centred], .init(), "_square")], attributes, "_var")
        let std = try apply(.sqrt, [try apply(.add, [variance, eps], .init(), "_var_eps")], .init(), "_std")
        return (try apply(.div, [centred, std], .init(), "_normalised"), mean, std)
    }
}
