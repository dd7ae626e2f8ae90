/// 1-D convolution, ConvTranspose and pooling (N, C, L) as their 2-D forms over (N, C, 1, L): the node's
/// window attributes gain a leading height of 1, the input a height of 1, and the result
/// drops it again.
extension ONNXImporter {
    /// Runs `body` (a 2-D import of the current node) with the node's attributes and `x`
    /// lifted to 2-D, then removes the height again.
    func asOneD(_ x: ImportValue, _ body: (ImportValue) throws(ONNXImportError) -> ImportValue) throws(ONNXImportError) -> ImportValue {
        let xs = shape(x)
        guard xs.count == 3 else { throw shapeError("a 1-D window needs an (N, C, L) input, got \(xs.shapeDescription)") }
        let saved = current!
        var lifted = saved
        for key in ["kernel_shape", "strides", "dilations"] {
            if case .ints(let v)? = saved.attributes[key], v.count == 1 { lifted.attributes[key] = .ints([1] + v) }
        }
        if case .ints(let p)? = saved.attributes["pads"], p.count == 2 { lifted.attributes["pads"] = .ints([0, p[0], 0, p[1]]) }
        // ConvTranspose: no extra row, and an output height of 1.
        if case .ints(let v)? = saved.attributes["output_padding"], v.count == 1 { lifted.attributes["output_padding"] = .ints([0] + v) }
        if case .ints(let v)? = saved.attributes["output_shape"], v.count == 1 { lifted.attributes["output_shape"] = .ints([1] + v) }
        current = lifted
        defer { current = saved }
        let x2 = try reshape(x, toShape: [xs[0], xs[1], .static(1), xs[2]])
        let y = try body(x2)
        let ys = shape(y)
        return try reshape(y, toShape: [ys[0], ys[1], ys[3]])
    }

    /// A Conv or ConvTranspose node: `body` on the input and the weights (input 1), with
    /// 3-D weights (C, M, k) run as 2-D through ``asOneD(_:_:)``.
    func withWeights(_ body: (ImportValue, ONNXConstant) throws(ONNXImportError) -> ImportValue) throws(ONNXImportError) -> ImportValue {
        var w = try requireConstant(1, "weights")
        guard w.shape.count == 3 else { return try body(try required(0), w) }
        w.shape.insert(1, at: 2)
        let weights = w
        return try asOneD(try required(0)) { x throws(ONNXImportError) in try body(x, weights) }
    }
}
