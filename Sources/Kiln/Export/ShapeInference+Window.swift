/// Shape rules of the windowed ops with rectangular, asymmetric geometry (pooling) and of
/// the elementwise activations.
extension ShapeInference {
    /// `max_pool2d` (rectangular form), `avg_pool2d`, `global_max_pool2d`. x: (N, C, H, W).
    static func pool2d(_ op: GraphOp, _ a: NodeAttributes, _ x: [SymDim]) throws(ShapeInferenceFailure) -> [SymDim] {
        try expectRank(x, 4, op)
        _ = try staticDim(x, 1, inputIndex: 0, op)
        let h = try staticDim(x, 2, inputIndex: 0, op), w = try staticDim(x, 3, inputIndex: 0, op)
        guard h >= 1, w >= 1 else { throw .mismatch("\(op): empty input \(x.shapeDescription)") }
        if op == .globalMaxPool2d { return [x[0], x[1], .static(1), .static(1)] }
        guard let g = a.spatialGeometry() else {
            throw .mismatch("\(op) needs kernel, stride, padding and dilation (or kernel_shape, strides, pads and dilations)")
        }
        guard g.isValid, g.pads.top < g.effectiveKernel.h, g.pads.bottom < g.effectiveKernel.h,
              g.pads.left < g.effectiveKernel.w, g.pads.right < g.effectiveKernel.w else {
            throw .mismatch("\(op): invalid \(g.text) (each pad must be smaller than the window)")
        }
        if op == .avgPool2d, g.dilation != (1, 1) { throw .mismatch("avg_pool2d: dilation \(g.dilation) is not supported") }
        let ceil = a.ceilMode ?? false
        let oh = poolOut(h, g.kernel.h, g.stride.h, g.pads.top, g.pads.bottom, g.dilation.h, ceil)
        let ow = poolOut(w, g.kernel.w, g.stride.w, g.pads.left, g.pads.right, g.dilation.w, ceil)
        guard oh >= 1, ow >= 1 else { throw .mismatch("\(op): input \(x.shapeDescription) is smaller than its \(g.kernel.h)x\(g.kernel.w) window") }
        return [x[0], x[1], .static(oh), .static(ow)]
    }

    /// Pooling output size with begin and end pads; with ceil_mode the last window must
    /// start inside the input or its begin padding (as ONNX Runtime and PyTorch).
    static func poolOut(_ n: Int, _ k: Int, _ s: Int, _ p0: Int, _ p1: Int, _ d: Int, _ ceil: Bool) -> Int {
        var out = floorDiv(n + p0 + p1 - d * (k - 1) - 1 + (ceil ? s - 1 : 0), s) + 1
        if ceil, (out - 1) * s >= n + p0 { out -= 1 }
        return out
    }

    static func checkActivation(_ op: GraphOp, _ a: NodeAttributes) throws(ShapeInferenceFailure) {
        let values = [a.min, a.max, a.alpha, a.beta].compactMap { $0 }
        guard values.allSatisfy({ !$0.isNaN }) else { throw .mismatch("\(op): an attribute is NaN") }
        if op == .clip, let lo = a.min, let hi = a.max, lo > hi { throw .mismatch("clip: min \(lo) > max \(hi)") }
        if op == .celu, a.alpha == 0 { throw .mismatch("celu: alpha is 0 (it divides x)") }
        if op == .gelu, a.mode != "none", a.mode != "tanh" { throw .mismatch("gelu: mode \"\(a.mode ?? "")\" is neither none nor tanh") }
    }
}

extension SpatialGeometry {
    /// d·(k−1)+1 per dimension.
    var effectiveKernel: (h: Int, w: Int) { (dilation.h * (kernel.h - 1) + 1, dilation.w * (kernel.w - 1) + 1) }

    /// Sizes ≥ 1, pads ≥ 0.
    var isValid: Bool {
        [kernel.h, kernel.w, stride.h, stride.w, dilation.h, dilation.w].allSatisfy { $0 >= 1 }
            && [pads.top, pads.left, pads.bottom, pads.right].allSatisfy { $0 >= 0 }
    }

    /// `kernel 3x3, strides (2, 2), pads (1, 1, 1, 1), dilations (1, 1)`.
    var text: String {
        "kernel \(kernel.h)x\(kernel.w), strides (\(stride.h), \(stride.w)), pads (\(pads.top), \(pads.left), \(pads.bottom), \(pads.right)), dilations (\(dilation.h), \(dilation.w))"
    }
}
