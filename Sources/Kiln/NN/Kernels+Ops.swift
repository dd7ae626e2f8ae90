internal import CKilnKernels

/// Eager kernels of the ONNX CNN operators (kiln_ops.h). Float32, contiguous tensors.
/// Every function has `reference: true` to run the naive twin (tests).
extension Kernels {
    /// y = act(x) elementwise.
    public static func activation(_ x: Tensor, _ act: Activation, reference: Bool = false) -> Tensor {
        let y = Tensor(uninitializedShape: x.shape)
        (reference ? kiln_activation_ref : kiln_activation)(act.c, x.count, x.storage.base, y.storage.base)
        return y
    }

    /// NumPy-broadcast `a op b`. Throws when the shapes do not broadcast.
    public static func binary(_ op: BinaryOp, _ a: Tensor, _ b: Tensor, reference: Bool = false) throws -> Tensor {
        let out = try broadcastShape(a.shape, b.shape, op: op.rawValue)
        var shape = out.map(Int64.init), sa = broadcastStrides(a.shape, to: out), sb = broadcastStrides(b.shape, to: out)
        let y = Tensor(uninitializedShape: out)
        if out.isEmpty { shape = [1]; sa = [0]; sb = [0] }
        guard shape.count <= Int(KILN_OPS_MAX_RANK) else {
            throw ShapeError("\(op.rawValue): rank \(shape.count) exceeds the kernels' \(KILN_OPS_MAX_RANK) dimensions")
        }
        (reference ? kiln_binary_ref : kiln_binary)(op.cKind, Int32(shape.count), shape, a.storage.base, sa,
                                                    b.storage.base, sb, y.storage.base)
        return y
    }

    /// The NumPy broadcast of two shapes.
    static func broadcastShape(_ a: [Int], _ b: [Int], op: String) throws -> [Int] {
        let r = max(a.count, b.count)
        return try (0..<r).map { i in
            let da = i < r - a.count ? 1 : a[i - (r - a.count)]
            let db = i < r - b.count ? 1 : b[i - (r - b.count)]
            guard da == db || da == 1 || db == 1 else {
                throw ShapeError("\(op): shapes \(a) and \(b) do not broadcast (dimension \(i): \(da) vs \(db))")
            }
            return da == 1 ? db : da
        }
    }

    /// Element strides of a contiguous tensor of `shape` viewed at `out` (0 where broadcast).
    static func broadcastStrides(_ shape: [Int], to out: [Int]) -> [Int64] {
        var strides = [Int64](repeating: 0, count: out.count)
        var s: Int64 = 1
        for i in stride(from: shape.count - 1, through: 0, by: -1) {
            let o = i + out.count - shape.count
            strides[o] = shape[i] == 1 ? 0 : s
            s *= Int64(shape[i])
        }
        return strides
    }

    /// Average pooling (ONNX AveragePool). x: (N, C, H, W); pads (top, left, bottom, right).
    public static func avgPool2d(_ x: Tensor, kernel: (Int, Int), stride: (Int, Int), pads: (Int, Int, Int, Int),
                                 ceilMode: Bool, countIncludePad: Bool, reference: Bool = false) throws -> Tensor {
        var p = try poolParams(x, kernel: kernel, stride: stride, pads: pads, dilation: (1, 1), ceilMode: ceilMode, op: "avg_pool2d")
        p.count_include_pad = countIncludePad ? 1 : 0
        let y = Tensor(uninitializedShape: [x.shape[0], x.shape[1], Int(p.oh), Int(p.ow)])
        if reference { kiln_avgpool2d_ref(&p, x.storage.base, y.storage.base) } else { kiln_avgpool2d(&p, x.storage.base, y.storage.base) }
        return y
    }

    /// Max pooling (ONNX MaxPool): pads are -inf, NaN propagates. x: (N, C, H, W).
    public static func maxPool2d(_ x: Tensor, kernel: (Int, Int), stride: (Int, Int), pads: (Int, Int, Int, Int),
                                 dilation: (Int, Int), ceilMode: Bool, reference: Bool = false) throws -> Tensor {
        var p = try poolParams(x, kernel: kernel, stride: stride, pads: pads, dilation: dilation, ceilMode: ceilMode, op: "max_pool2d")
        let y = Tensor(uninitializedShape: [x.shape[0], x.shape[1], Int(p.oh), Int(p.ow)])
        if reference { kiln_maxpool2d_pads_ref(&p, x.storage.base, y.storage.base) } else { kiln_maxpool2d_pads(&p, x.storage.base, y.storage.base) }
        return y
    }

    static func poolParams(_ x: Tensor, kernel: (Int, Int), stride: (Int, Int), pads: (Int, Int, Int, Int),
                           dilation: (Int, Int), ceilMode: Bool, op: String) throws -> kiln_pool2d_params {
        guard x.rank == 4 else { throw ShapeError("\(op): input \(x.shape) must be 4-D (N, C, H, W)") }
        var p = kiln_pool2d_params()
        p.n = Int32(x.shape[0]); p.c = Int32(x.shape[1]); p.h = Int32(x.shape[2]); p.w = Int32(x.shape[3])
        p.kh = Int32(kernel.0); p.kw = Int32(kernel.1); p.stride_h = Int32(stride.0); p.stride_w = Int32(stride.1)
        p.pad_t = Int32(pads.0); p.pad_l = Int32(pads.1); p.pad_b = Int32(pads.2); p.pad_r = Int32(pads.3)
        p.dil_h = Int32(dilation.0); p.dil_w = Int32(dilation.1); p.ceil_mode = ceilMode ? 1 : 0
        guard kiln_pool2d_init(&p) == 0 else {
            throw ShapeError("\(op): invalid parameters for input \(x.shape) (kernel \(kernel), stride \(stride), pads \(pads), dilation \(dilation))")
        }
        return p
    }

    /// (N, C, H, W…) → (N, C, 1, 1…): the mean over every dimension after the second.
    public static func globalAvgPool(_ x: Tensor, reference: Bool = false) -> Tensor {
        let nc = x.shape.prefix(2).reduce(1, *), hw = x.shape.dropFirst(2).reduce(1, *)
        let y = Tensor(uninitializedShape: Array(x.shape.prefix(2)) + Array(repeating: 1, count: max(x.rank - 2, 0)))
        (reference ? kiln_global_avgpool_ref : kiln_global_avgpool)(nc, hw, x.storage.base, y.storage.base)
        return y
    }

    /// (N, C, H, W…) → (N, C, 1, 1…): the maximum (NaN propagates).
    public static func globalMaxPool(_ x: Tensor, reference: Bool = false) -> Tensor {
        let nc = x.shape.prefix(2).reduce(1, *), hw = x.shape.dropFirst(2).reduce(1, *)
        let y = Tensor(uninitializedShape: Array(x.shape.prefix(2)) + Array(repeating: 1, count: max(x.rank - 2, 0)))
        (reference ? kiln_global_maxpool_ref : kiln_global_maxpool)(nc, hw, x.storage.base, y.storage.base)
        return y
    }

    /// Mean over `axes` (negative counts from the end; any set, duplicates ignored).
    public static func reduceMean(_ x: Tensor, axes: [Int], keepDims: Bool, reference: Bool = false) -> Tensor {
        let set = Set(axes.map { $0 < 0 ? $0 + x.rank : $0 }.filter { $0 >= 0 && $0 < x.rank })
        var cur = x
        // One axis at a time, highest first, so the remaining axes keep their indices.
        for axis in set.sorted(by: >) {
            let outer = cur.shape.prefix(axis).reduce(1, *), len = cur.shape[axis], inner = cur.shape.dropFirst(axis + 1).reduce(1, *)
            var shape = cur.shape
            shape[axis] = 1
            let y = Tensor(uninitializedShape: shape)
            (reference ? kiln_reduce_mean_ref : kiln_reduce_mean)(outer, len, inner, cur.storage.base, y.storage.base)
            cur = y
        }
        if keepDims { return cur.reshaped(cur.shape) }
        return cur.reshaped(cur.shape.enumerated().filter { !set.contains($0.offset) }.map(\.element))
    }

    /// `kind` over `axes` (negative counts from the end; any set, duplicates ignored). The
    /// reduced axes are moved next to each other first when they are not (one pass over all
    /// of them: L2 or log-sum-exp of a log-sum-exp is not the whole reduction).
    public static func reduce(_ kind: Reduction, _ x: Tensor, axes: [Int], keepDims: Bool, reference: Bool = false) -> Tensor {
        if kind == .mean { return reduceMean(x, axes: axes, keepDims: keepDims, reference: reference) }
        let set = Set(axes.map { $0 < 0 ? $0 + x.rank : $0 }.filter { $0 >= 0 && $0 < x.rank })
        let reduced = set.sorted(), kept = (0..<x.rank).filter { !set.contains($0) }
        var source = x, outer = 1, inner = 1
        if let first = reduced.first, reduced == Array(first..<(first + reduced.count)) {
            outer = x.shape.prefix(first).reduce(1, *)
            inner = x.shape.dropFirst(first + reduced.count).reduce(1, *)
        } else {
            source = transpose(x, perm: kept + reduced, reference: reference)
            outer = kept.map { x.shape[$0] }.reduce(1, *)
        }
        let len = reduced.map { x.shape[$0] }.reduce(1, *)
        let y = Tensor(uninitializedShape: keepDims ? x.shape.enumerated().map { set.contains($0.offset) ? 1 : $0.element } : kept.map { x.shape[$0] })
        (reference ? kiln_reduce_ref : kiln_reduce)(kind.cKind, outer, len, inner, source.storage.base, y.storage.base)
        return y
    }

    /// Softmax over `axis` (negative counts from the end); with `log`, log-softmax
    /// (x − max − log Σ exp(x − max), finite where the probability would underflow).
    public static func softmax(_ x: Tensor, axis: Int, log: Bool = false, reference: Bool = false) -> Tensor {
        let a = axis < 0 ? axis + x.rank : axis
        let outer = x.shape.prefix(a).reduce(1, *), len = x.shape[a], inner = x.shape.dropFirst(a + 1).reduce(1, *)
        let y = Tensor(uninitializedShape: x.shape)
        let kernel = log ? (reference ? kiln_log_softmax_ref : kiln_log_softmax) : (reference ? kiln_softmax_ref : kiln_softmax)
        kernel(outer, len, inner, x.storage.base, y.storage.base)
        return y
    }

    /// Local response normalisation across channels (ONNX LRN). x: (N, C, …).
    public static func lrn(_ x: Tensor, size: Int, alpha: Float, beta: Float, bias: Float, reference: Bool = false) -> Tensor {
        let n = x.shape[0], c = x.shape[1], hw = x.shape.dropFirst(2).reduce(1, *)
        let y = Tensor(uninitializedShape: x.shape)
        (reference ? kiln_lrn_ref : kiln_lrn)(Int32(n), Int32(c), Int32(hw), Int32(size), alpha, beta, bias,
                                              x.storage.base, y.storage.base)
        return y
    }
}
