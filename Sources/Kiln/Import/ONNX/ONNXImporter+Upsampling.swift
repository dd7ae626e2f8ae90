/// PRelu, ConvTranspose and Resize, imported as compositions of Kiln's graph ops (so they run
/// eager and compiled with no kernel of their own):
/// - PRelu(x, slope) = relu(x) + (−slope)·relu(−x) (exact, and ±∞ stay ±∞);
/// - ConvTranspose = zero insertion (reshape to (N, C, H, 1, W, 1), zero-pad, reshape) and a
///   stride-1 convolution with the weights flipped and transposed per group;
/// - Resize with integer scales (nearest, any `nearest_mode`; linear; `half_pixel`,
///   `pytorch_half_pixel` or `asymmetric` coordinates) = edge padding by one and a depthwise
///   ConvTranspose whose taps are the interpolation weights (they repeat with period `scale`).
extension ONNXImporter {
    func importPRelu() throws(ONNXImportError) -> ImportValue {
        let x = try required(0), slope = try required(1)
        let minusOne = ImportValue.constant(ONNXConstant(shape: [1], floats: [-1]))
        let negativeSlope = try apply(.mul, [slope, minusOne], suffix: "_neg_slope")
        let positive = try apply(.relu, [x], suffix: "_pos")
        let negated = try apply(.mul, [x, minusOne], suffix: "_negx")
        let negative = try apply(.mul, [negativeSlope, try apply(.relu, [negated], suffix: "_relu_negx")], suffix: "_neg")
        return try apply(.add, [positive, negative])
    }

    func importConvTranspose() throws(ONNXImportError) -> ImportValue {
        let x = try required(0), w = try requireConstant(1, "weights")
        guard w.shape.count == 4, shape(x).count == 4 else {
            throw unsupported("a \(w.shape.count - 2)-D ConvTranspose (weights \(w.shape)); Kiln imports 2-D transposed convolutions",
                              fix: "use ConvTranspose2d layers")
        }
        if try ints("output_shape") != nil {
            throw unsupported("ConvTranspose with output_shape", fix: "export with pads and output_padding instead (torch.onnx.export does)")
        }
        let autoPad = try string("auto_pad", "NOTSET")
        guard autoPad == "NOTSET" || autoPad == "VALID" else {
            throw unsupported("ConvTranspose with auto_pad \(autoPad)", fix: "export with explicit pads")
        }
        if let ks = try ints("kernel_shape"), ks != Array(w.shape[2...]) {
            throw shapeError("kernel_shape \(ks) differs from the weights' \(Array(w.shape[2...]))")
        }
        let s = try ints("strides") ?? [1, 1], d = try ints("dilations") ?? [1, 1]
        let p = autoPad == "VALID" ? [0, 0, 0, 0] : (try ints("pads") ?? [0, 0, 0, 0])
        let op = try ints("output_padding") ?? [0, 0]
        guard s.count == 2, d.count == 2, p.count == 4, op.count == 2, s.allSatisfy({ $0 >= 1 }), d.allSatisfy({ $0 >= 1 }),
              p.allSatisfy({ $0 >= 0 }), zip(op, zip(s, d)).allSatisfy({ $0.0 >= 0 && $0.0 < Swift.max($0.1.0, $0.1.1) }) else {
            throw shapeError("strides \(s), dilations \(d), pads \(p) and output_padding \(op) are not a valid 2-D ConvTranspose")
        }
        let bias = try input(2) != nil ? try requireConstant(2, "bias") : nil
        return try transposedConv(x, w, bias: bias, groups: try int("group", 1), strides: (s[0], s[1]), dilations: (d[0], d[1]),
                                  pads: (p[0], p[1], p[2], p[3]), outputPadding: (op[0], op[1]))
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
        guard xs.count == 4, let h = xs[2].staticValue, let wd = xs[3].staticValue, let c = xs[1].staticValue else {
            throw unsupported("Resize of a \(xs.shapeDescription) tensor; Kiln resizes (N, C, H, W) images of static size", fix: "resize images only")
        }
        let mode = try string("mode", "nearest")
        let coordinates = try string("coordinate_transformation_mode", opset < 11 ? "asymmetric" : "half_pixel")
        let nearestMode = try string("nearest_mode", opset < 11 ? "floor" : "round_prefer_floor")
        // x_original = (i + a)/scale − b, in halves: (a2, b2) = (2a, 2b).
        let (a2, b2): (Int, Int)
        switch coordinates {
        case "half_pixel", "pytorch_half_pixel": (a2, b2) = (1, 1)
        case "asymmetric": (a2, b2) = (0, 0)
        default:
            throw unsupported("Resize with coordinate_transformation_mode \"\(coordinates)\" (Kiln resizes with half_pixel, pytorch_half_pixel or asymmetric)",
                              fix: "export with align_corners=False (torch.nn.Upsample / F.interpolate)")
        }
        guard mode == "nearest" || mode == "linear" else {
            throw unsupported("Resize mode \"\(mode)\" (Kiln resizes nearest and linear)", fix: "use nearest or bilinear interpolation")
        }
        guard ["round_prefer_floor", "round_prefer_ceil", "floor", "ceil"].contains(nearestMode) else {
            throw unsupported("Resize nearest_mode \"\(nearestMode)\" is not an ONNX value", fix: "use round_prefer_floor, round_prefer_ceil, floor or ceil")
        }
        if try ints("axes") != nil { throw unsupported("Resize with axes", fix: "export with scales for every dimension") }
        let scales = try resizeScales(xs, h: h, w: wd)
        if scales == (1, 1) { return x }
        let taps = [scales.0, scales.1].map { s in
            (0..<(4 * s)).map { u -> Float in Self.resizeTap(u - 2 * s, scale: s, a2: a2, b2: b2, nearest: mode == "nearest" ? nearestMode : nil) }
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

    /// The integer (height, width) scales from the scales or sizes input.
    private func resizeScales(_ xs: [SymDim], h: Int, w: Int) throws(ONNXImportError) -> (Int, Int) {
        let scaleIndex = opset < 11 ? 1 : 2
        if let sc = try constantInput(scaleIndex), sc.count > 0 {
            let f = sc.floatValues
            guard f.count == 4, f[0] == 1, f[1] == 1, f[2] >= 1, f[3] >= 1, f[2] == f[2].rounded(), f[3] == f[3].rounded() else {
                throw unsupported("Resize scales \(f); Kiln resizes height and width by whole factors ≥ 1", fix: "upsample by integer factors")
            }
            return (Int(f[2]), Int(f[3]))
        }
        if opset >= 11, let sz = try constantInput(3), sz.count > 0 {
            let n = sz.intValues
            guard n.count == 4, n[0] == xs[0].staticValue, n[1] == xs[1].staticValue, n[2] % h == 0, n[3] % w == 0, n[2] >= h, n[3] >= w else {
                throw unsupported("Resize sizes \(n) of \(xs.shapeDescription); Kiln resizes height and width by whole factors ≥ 1 (a symbolic batch needs scales)",
                                  fix: "upsample by integer scale factors (F.interpolate(x, scale_factor=2))")
            }
            return (n[2] / h, n[3] / w)
        }
        throw unsupported("Resize whose scales and sizes are not known at import", fix: "export with constant scale factors")
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
