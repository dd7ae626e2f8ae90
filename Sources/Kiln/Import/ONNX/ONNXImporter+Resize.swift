/// Resize's attributes and inputs per opset, and the general form: one interpolation matrix
/// per resized axis (`linear` over that axis, moved last by a transpose), which covers every
/// mode (nearest, linear, cubic with `cubic_coeff_a`), coordinate transformation
/// (`align_corners`, `tf_crop_and_resize` with its extrapolation value, …), fractional
/// scales, `sizes` with `keep_aspect_ratio_policy`, `axes`, `exclude_outside` and
/// `antialias`.
extension ONNXImporter {
    /// The interpolation attributes, checked; opset 10 knows only nearest/linear with
    /// asymmetric coordinates, opset 11 adds the rest, opset 18 antialias and axes.
    func resizeMode() throws(ONNXImportError) -> ONNXResizeMode {
        let kind = try string("mode", "nearest")
        guard let k = ONNXResizeMode.Kind(rawValue: kind), opset >= 11 || k != .cubic else {
            throw unsupported("Resize mode \"\(kind)\" is not an ONNX value at opset \(opset)", fix: "use nearest, linear or cubic (cubic from opset 11)")
        }
        var m = ONNXResizeMode(kind: k, coordinates: try string("coordinate_transformation_mode", opset < 11 ? "asymmetric" : "half_pixel"))
        guard ONNXResizeMode.coordinateModes.contains(m.coordinates) || opset < 13 && m.coordinates == "tf_half_pixel_for_nn" else {
            throw unsupported("Resize coordinate_transformation_mode \"\(m.coordinates)\" is not an ONNX value at opset \(opset)",
                              fix: "use one of \(ONNXResizeMode.coordinateModes.joined(separator: ", "))")
        }
        m.nearestMode = try string("nearest_mode", opset < 11 ? "floor" : "round_prefer_floor")
        guard ONNXResizeMode.nearestModes.contains(m.nearestMode) else {
            throw unsupported("Resize nearest_mode \"\(m.nearestMode)\" is not an ONNX value", fix: "use round_prefer_floor, round_prefer_ceil, floor or ceil")
        }
        m.cubicA = Double(try finite("cubic_coeff_a", -0.75))
        m.excludeOutside = try int("exclude_outside", 0) != 0
        m.extrapolation = try float("extrapolation_value", 0)
        m.antialias = try int("antialias", 0) != 0
        if m.antialias, m.kind == .nearest {
            throw unsupported("Resize antialias with mode nearest (ONNX defines antialias for linear and cubic)", fix: "drop antialias, or use linear")
        }
        return m
    }

    /// Per dimension of x: input and output size, scale and region of interest.
    func resizeAxes(_ xs: [SymDim], _ mode: ONNXResizeMode) throws(ONNXImportError) -> [ONNXResizeAxis] {
        let rank = xs.count
        let axes = try (ints("axes") ?? Array(0..<rank)).map { a throws(ONNXImportError) in try axis(a, rank: rank) }
        guard Set(axes).count == axes.count, !axes.isEmpty else { throw shapeError("Resize axes \(axes) repeat an axis") }
        let scaleIndex = opset < 11 ? 1 : 2
        let scales = try constantInput(scaleIndex).flatMap { $0.count > 0 ? $0.floatValues : nil }
        let sizes = opset >= 11 ? try constantInput(3).flatMap { $0.count > 0 ? $0.intValues : nil } : nil
        for i in [scaleIndex] + (opset >= 11 ? [3, 1] : []) {
            guard try input(i) != nil, try constantInput(i) == nil else { continue }
            throw unsupported("Resize input \(i) (\(["", "roi", "scales", "sizes"][i])) is computed at run time", fix: "export with constant scale factors or sizes")
        }
        guard (scales == nil) != (sizes == nil) else {
            throw shapeError("Resize needs exactly one of scales and sizes, got \(scales == nil ? "neither" : "both")")
        }
        var roi = [Double](repeating: 0, count: rank) + [Double](repeating: 1, count: rank)
        if mode.coordinates == "tf_crop_and_resize" {
            guard opset >= 11, let r = try constantInput(1), r.count == 2 * axes.count else {
                throw shapeError("tf_crop_and_resize needs a constant roi of \(2 * axes.count) values (starts, then ends)")
            }
            for (k, a) in axes.enumerated() { roi[a] = Double(r.floatValues[k]); roi[rank + a] = Double(r.floatValues[axes.count + k]) }
        }
        var out: [ONNXResizeAxis] = []
        for d in 0..<rank { out.append(ONNXResizeAxis(input: xs[d].staticValue ?? 0, output: xs[d].staticValue ?? 0, scale: 1, roi: (roi[d], roi[rank + d]))) }
        if let scales {
            guard scales.count == axes.count, scales.allSatisfy({ $0.isFinite && $0 > 0 }) else {
                throw shapeError("Resize scales \(scales) need one positive finite factor per resized axis (\(axes.count))")
            }
            for (k, a) in axes.enumerated() {
                out[a].scale = Double(scales[k])
                out[a].output = Int((Double(scales[k]) * Double(out[a].input)).rounded(.down).clamped(to: 0...Double(Int32.max)))
            }
        } else if let sizes {
            guard sizes.count == axes.count, sizes.allSatisfy({ $0 >= 1 && $0 <= Int(Int32.max) }) else {
                throw shapeError("Resize sizes \(sizes) need one size ≥ 1 per resized axis (\(axes.count))")
            }
            let policy = try string("keep_aspect_ratio_policy", "stretch")
            let ratios = axes.enumerated().map { Double(sizes[$0.offset]) / Double(Swift.max(out[$0.element].input, 1)) }
            for (k, a) in axes.enumerated() {
                switch policy {
                case "stretch": out[a].scale = ratios[k]; out[a].output = sizes[k]
                case "not_larger", "not_smaller":
                    let s = policy == "not_larger" ? ratios.min()! : ratios.max()!
                    out[a].scale = s; out[a].output = Int(s * Double(out[a].input) + 0.5)
                default:
                    throw unsupported("keep_aspect_ratio_policy \"\(policy)\" is not an ONNX value", fix: "use stretch, not_larger or not_smaller")
                }
            }
        }
        for d in 0..<rank where !out[d].isIdentity {
            guard d != 0, xs[d].staticValue != nil else {
                throw unsupported("Resize of dimension \(d) (\(xs[d])), the batch; Kiln resizes the other dimensions",
                                  fix: "give dimension 0 a scale of 1 (or resize only the spatial axes)")
            }
            let (i, o) = (out[d].input, out[d].output)
            guard o >= 1 else { throw shapeError("Resize makes dimension \(d) empty (\(i) → \(o)); Kiln makes no empty tensors") }
            let rowElements = xs.dropFirst().enumerated().reduce(1.0) { $0 * Double($1.offset + 1 == d ? o : ($1.element.staticValue ?? 1)) }
            guard Double(i) * Double(o) <= Double(limits.maxTensorElements), rowElements <= Double(limits.maxTensorElements) else {
                throw .limitExceeded(location, what: "Resize of dimension \(d) from \(i) to \(o) exceeds \(limits.maxTensorElements) elements",
                                     limit: .maxTensorElements, bound: limits.maxTensorElements, remedy: "resize by a smaller factor")
            }
        }
        return out
    }

    /// y = x resized axis by axis: `linear` with the (out × in) interpolation matrix over
    /// the last axis, the axis moved there and back by transposes.
    func resizeByMatrices(_ x: ImportValue, _ axes: [ONNXResizeAxis], _ mode: ONNXResizeMode) throws(ONNXImportError) -> ImportValue {
        var y = x
        let rank = axes.count
        let moved = (0..<rank).filter { !axes[$0].isIdentity }
        for d in moved {
            let (w, bias) = mode.matrix(axes[d])
            var args: [ImportValue] = [.constant(ONNXConstant(shape: [axes[d].output, axes[d].input], floats: w))]
            if let bias { args.append(.constant(ONNXConstant(shape: [axes[d].output], floats: bias))) }
            let last = d == moved.last
            if d == rank - 1 {
                y = try apply(.linear, [y] + args, suffix: last ? "" : "_axis\(d)")
                continue
            }
            var p = Array(0..<rank)
            p.swapAt(d, rank - 1)
            let t = try apply(.transpose, [y], perm(p), suffix: "_axis\(d)_in")
            let l = try apply(.linear, [t] + args, suffix: "_axis\(d)_matrix")
            y = try apply(.transpose, [l], perm(p), suffix: last ? "" : "_axis\(d)")
        }
        return y
    }
}

fileprivate extension Double {
    func clamped(to r: ClosedRange<Double>) -> Double { Swift.min(Swift.max(self, r.lowerBound), r.upperBound) }
}
