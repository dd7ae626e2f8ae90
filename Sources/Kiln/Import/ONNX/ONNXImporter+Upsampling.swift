/// PRelu, ConvTranspose and Resize, imported as compositions of Kiln's graph ops (so they run
/// eager and compiled with no kernel of their own):
/// - PRelu(x, slope) = relu(x) + (−slope)·relu(−x) (exact, and ±∞ stay ±∞);
/// - ConvTranspose = zero insertion (reshape to (N, C, H, 1, W, 1), zero-pad, reshape) and a
///   stride-1 convolution with the weights flipped and transposed per group;
/// - Resize of an image by whole factors ≥ 1 (nearest, any `nearest_mode`; linear;
///   `half_pixel`, `pytorch_half_pixel` or `asymmetric` coordinates) = edge padding by one
///   and a depthwise ConvTranspose whose taps are the interpolation weights (they repeat with
///   period `scale`); any other Resize is one interpolation matrix per axis
///   (ONNXImporter+Resize.swift).
extension ONNXImporter {
    func importPRelu() throws(ONNXImportError) -> ImportValue {
        let x = try required(0)
        var slope = try required(1)
        // Before opset 7 a 1-D slope of C values is per channel (dimension 1), not broadcast
        // from the right.
        let xs = shape(x)
        if opset < 7, case .constant(let c) = slope, c.shape.count == 1, c.count > 1, xs.count > 2, xs[1].staticValue == c.count {
            slope = .constant(ONNXConstant(shape: [c.count] + [Int](repeating: 1, count: xs.count - 2), floats: c.floatValues))
        }
        let minusOne = ImportValue.constant(ONNXConstant(shape: [1], floats: [-1]))
        let negativeSlope = try apply(.mul, [slope, minusOne], suffix: "_neg_slope")
        let positive = try apply(.relu, [x], suffix: "_pos")
        let negated = try apply(.mul, [x, minusOne], suffix: "_negx")
        let negative = try apply(.mul, [negativeSlope, try apply(.relu, [negated], suffix: "_relu_negx")], suffix: "_neg")
        return try apply(.add, [positive, negative])
    }

    func importConvTranspose() throws(ONNXImportError) -> ImportValue {
        try withWeights { x, w throws(ONNXImportError) in try self.convTranspose(x, w) }
    }

    /// A 2-D ConvTranspose. Its padding comes from `pads`, or, with `output_shape` or
    /// `auto_pad` SAME_UPPER/SAME_LOWER (output = input · stride), from the total padding
    /// that output needs, split as ONNX's reference does (SAME_UPPER puts the odd one at the
    /// end, otherwise at the start); explicit pads with `output_shape` keep their start and
    /// the end follows from the shape.
    private func convTranspose(_ x: ImportValue, _ w: ONNXConstant) throws(ONNXImportError) -> ImportValue {
        let xs = shape(x)
        guard w.shape.count == 4, xs.count == 4 else {
            throw unsupported("a \(w.shape.count - 2)-D ConvTranspose (weights \(w.shape)); Kiln imports 1-D and 2-D transposed convolutions",
                              fix: "use ConvTranspose1d or ConvTranspose2d layers")
        }
        let autoPad = try string("auto_pad", "NOTSET")
        guard ["NOTSET", "VALID", "SAME_UPPER", "SAME_LOWER"].contains(autoPad) else {
            throw unsupported("ConvTranspose auto_pad \"\(autoPad)\" is not an ONNX value", fix: "use NOTSET, SAME_UPPER, SAME_LOWER or VALID")
        }
        if let ks = try ints("kernel_shape"), ks != Array(w.shape[2...]) {
            throw shapeError("kernel_shape \(ks) differs from the weights' \(Array(w.shape[2...]))")
        }
        let s = try ints("strides") ?? [1, 1], d = try ints("dilations") ?? [1, 1]
        let explicitPads = autoPad == "NOTSET" ? try ints("pads") : nil
        var p = autoPad == "VALID" ? [0, 0, 0, 0] : (explicitPads ?? [0, 0, 0, 0])
        let op = try ints("output_padding") ?? [0, 0]
        guard s.count == 2, d.count == 2, p.count == 4, op.count == 2, s.allSatisfy({ $0 >= 1 }), d.allSatisfy({ $0 >= 1 }),
              p.allSatisfy({ $0 >= 0 }), zip(op, zip(s, d)).allSatisfy({ $0.0 >= 0 && $0.0 < Swift.max($0.1.0, $0.1.1) }) else {
            throw shapeError("strides \(s), dilations \(d), pads \(p) and output_padding \(op) are not a valid 2-D ConvTranspose")
        }
        guard let h = xs[2].staticValue, let wd = xs[3].staticValue else {
            throw shapeError("ConvTranspose needs a static height and width, got \(xs.shapeDescription)")
        }
        let outputShape = try ints("output_shape")
        if let o = outputShape, o.count != 2 || o.contains(where: { $0 < 1 }) {
            throw shapeError("output_shape \(o) must give the \(2) spatial sizes, each ≥ 1")
        }
        var outputPadding = op
        if outputShape != nil || autoPad.hasPrefix("SAME") {
            let target = outputShape ?? [h * s[0], wd * s[1]]
            for (i, n) in [h, wd].enumerated() {
                // The size before padding; the start pad is given or split from the total
                // (which counts output_padding), and the end pad makes the target size.
                let natural = s[i] * (n - 1) + (w.shape[2 + i] - 1) * d[i] + 1
                if explicitPads == nil {
                    let total = natural + op[i] - target[i], half = ShapeInference.floorDiv(total, 2)
                    p[i] = autoPad == "SAME_UPPER" ? half : total - half
                }
                p[i + 2] = natural - p[i] - target[i]
            }
            outputPadding = [0, 0]   // part of the end padding now
        }
        let bias = try input(2) != nil ? try requireConstant(2, "bias") : nil
        return try transposedConv(x, w, bias: bias, groups: try int("group", 1), strides: (s[0], s[1]), dilations: (d[0], d[1]),
                                  pads: (p[0], p[1], p[2], p[3]), outputPadding: (outputPadding[0], outputPadding[1]))
    }

    /// ConvTranspose of x (N, C, H, W) with weights (C, Cout/groups, kh, kw).
    func transposedConv(_ x: ImportValue, _ w: ONNXConstant, bias: ONNXConstant?, groups: Int, strides s: (Int, Int), dilations d: (Int, Int),
                        pads p: (Int, Int, Int, Int), outputPadding op: (Int, Int), suffix: String = "") throws(ONNXImportError) -> ImportValue {
        let xs = shape(x)
        let (cin, coutG, kh, kw) = (w.shape[0], w.shape[1], w.shape[2], w.shape[3])
        guard groups >= 1, cin % groups == 0, xs[1].staticValue == cin, let h = xs[2].staticValue, let wd = xs[3].staticValue else {
            throw shapeError("ConvTranspose of \(xs.shapeDescription) with weights \(w.shape) and group \(groups)")
        }
        var y = x
        if s.0 > 1 || s.1 > 1 {
            let spread = try reshape(y, toShape: [xs[0], xs[1], .static(h), .static(1), .static(wd), .static(1)])
            var a = NodeAttributes()
            a.pads = [0, 0, 0, 0, 0, 0, 0, 0, 0, s.0 - 1, 0, s.1 - 1]; a.mode = "constant"; a.value = 0
            let padded = try apply(.pad, [spread], a, suffix: suffix + "_zeros")
            y = try reshape(padded, toShape: [xs[0], xs[1], .static(h * s.0), .static(wd * s.1)])
        }
        // Padding of the zero-inserted input: (k−1)·d − pad before, (k−1)·d − pad + output_padding
        // after, less the s−1 zeros the insertion already put at the end; negative ones are slices.
        var before = [(kh - 1) * d.0 - p.0, (kw - 1) * d.1 - p.1]
        var after = [(kh - 1) * d.0 - p.2 + op.0 - (s.0 - 1), (kw - 1) * d.1 - p.3 + op.1 - (s.1 - 1)]
        let length = [h * s.0, wd * s.1]
        if before.contains(where: { $0 < 0 }) || after.contains(where: { $0 < 0 }) {
            let starts = before.map { Swift.max(0, -$0) }, ends = zip(length, after).map { $0 + Swift.min(0, $1) }
            y = try slice(y, axes: [2, 3], starts: starts, ends: ends, steps: [1, 1])
            before = before.map { Swift.max(0, $0) }; after = after.map { Swift.max(0, $0) }
        }
        // Convolution weights (Cout, C/groups, kh, kw): transposed per group, flipped in space.
        let cinG = cin / groups
        var flipped = [Float](repeating: 0, count: w.count)
        let values = w.floatValues
        for g in 0..<groups {
            for i in 0..<cinG {
                for o in 0..<coutG {
                    for ky in 0..<kh {
                        for kx in 0..<kw {
                            let from = (((g * cinG + i) * coutG + o) * kh + ky) * kw + kx
                            let to = (((g * coutG + o) * cinG + i) * kh + (kh - 1 - ky)) * kw + (kw - 1 - kx)
                            flipped[to] = values[from]
                        }
                    }
                }
            }
        }
        let weights = ONNXConstant(shape: [coutG * groups, cinG, kh, kw], floats: flipped)
        var a = NodeAttributes(groups: groups)
        a.setSpatialGeometry(SpatialGeometry(kernel: (kh, kw), stride: (1, 1), dilation: d, pads: (before[0], before[1], after[0], after[1])),
                             pooling: false)
        var args: [ImportValue] = [y, .constant(weights)]
        if let bias { args.append(.constant(bias)) }
        return try apply(.conv2d, args, a, suffix: suffix)
    }

    func importResize() throws(ONNXImportError) -> ImportValue {
        let x = try required(0)
        let xs = shape(x)
        let mode = try resizeMode()
        let axes = try resizeAxes(xs, mode)
        if axes.allSatisfy(\.isIdentity) { return x }
        // Whole factors ≥ 1 of an image, nearest or linear without extras: the exact
        // depthwise ConvTranspose below (no dense matrices); everything else: a matrix per axis.
        let simple = xs.count == 4 && mode.kind != .cubic && !mode.antialias
            && ["half_pixel", "pytorch_half_pixel", "asymmetric"].contains(mode.coordinates)
            && axes[0].isIdentity && axes[1].isIdentity
            && axes[2...].allSatisfy { $0.scale >= 1 && $0.scale == $0.scale.rounded() && $0.output == $0.input * Int($0.scale) }
        guard simple, let c = xs[1].staticValue else { return try resizeByMatrices(x, axes, mode) }
        let (a2, b2) = mode.coordinates == "asymmetric" ? (0, 0) : (1, 1)
        let scales = (Int(axes[2].scale), Int(axes[3].scale))
        let taps = [scales.0, scales.1].map { s in
            (0..<(4 * s)).map { u -> Float in Self.resizeTap(u - 2 * s, scale: s, a2: a2, b2: b2, nearest: mode.kind == .nearest ? mode.nearestMode : nil) }
        }
        var weights = [Float](repeating: 0, count: c * taps[0].count * taps[1].count)
        for ch in 0..<c {
            for (y, ty) in taps[0].enumerated() {
                for (xx, tx) in taps[1].enumerated() { weights[(ch * taps[0].count + y) * taps[1].count + xx] = ty * tx }
            }
        }
        var a = NodeAttributes()
        a.pads = [0, 0, 1, 1, 0, 0, 1, 1]; a.mode = "edge"; a.value = 0
        let padded = try apply(.pad, [x], a, suffix: "_edge")
        // The transposed convolution's output index j is the resized index j − 2·scale.
        let (sh, sw) = scales
        return try transposedConv(padded, ONNXConstant(shape: [c, 1, 4 * sh, 4 * sw], floats: weights), bias: nil, groups: c,
                                  strides: (sh, sw), dilations: (1, 1), pads: (2 * sh, 2 * sw, 3 * sh, 3 * sw), outputPadding: (0, 0))
    }

    /// The interpolation weight of padded input m at ConvTranspose offset u + 2·scale − m·scale:
    /// with v = x_original(i) − (m − 1) = (u + a)/scale − b + 1 (P[m] is input m − 1), tent(v)
    /// for linear, and 1 where round(v) = 0 for nearest (exact, in units of 1/(2·scale)).
    static func resizeTap(_ u: Int, scale s: Int, a2: Int, b2: Int, nearest: String?) -> Float {
        let den = 2 * s, num = 2 * u + a2 - b2 * s + den
        guard let nearest else { return Float(Swift.max(0, 1 - abs(Double(num) / Double(den)))) }
        let floor = num >= 0 ? num / den : -((-num + den - 1) / den)
        let rem = num - floor * den
        let rounded: Int = switch nearest {
        case "floor": floor
        case "ceil": rem > 0 ? floor + 1 : floor
        case "round_prefer_ceil": 2 * rem >= den ? floor + 1 : floor
        default: 2 * rem > den ? floor + 1 : floor
        }
        return rounded == 0 ? 1 : 0
    }
}
