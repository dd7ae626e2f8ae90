internal import CKilnKernels

/// Eager data-movement kernels (transpose, concat, slice, pad) and MatMul, on kiln_ops.h.
extension Kernels {
    /// Row-major element strides of a contiguous `shape`.
    static func contiguousStrides(_ shape: [Int]) -> [Int64] {
        var s = [Int64](repeating: 1, count: shape.count)
        for i in stride(from: shape.count - 2, through: 0, by: -1) { s[i] = s[i + 1] * Int64(shape[i + 1]) }
        return s
    }

    /// Copies `shape` elements through the strides, rank 0 as one element; ranks over 6 fold
    /// leading dimensions into a loop.
    static func copyStrided(_ shape: [Int], src: UnsafePointer<Float>, _ ss: [Int64], dst: UnsafeMutablePointer<Float>,
                            _ ds: [Int64], reference: Bool = false) {
        if shape.contains(0) { return }
        if shape.count > Int(KILN_OPS_MAX_RANK) {
            for i in 0..<shape[0] {
                copyStrided(Array(shape.dropFirst()), src: src + Int(Int64(i) * ss[0]), Array(ss.dropFirst()),
                            dst: dst + Int(Int64(i) * ds[0]), Array(ds.dropFirst()), reference: reference)
            }
            return
        }
        let sh = shape.isEmpty ? [Int64(1)] : shape.map(Int64.init)
        let a = shape.isEmpty ? [Int64(0)] : ss, b = shape.isEmpty ? [Int64(0)] : ds
        (reference ? kiln_copy_strided_ref : kiln_copy_strided)(Int32(sh.count), sh, src, a, dst, b)
    }

    /// Permutes dimensions: output dimension i is input dimension perm[i].
    public static func transpose(_ x: Tensor, perm: [Int], reference: Bool = false) -> Tensor {
        let xs = contiguousStrides(x.shape)
        let shape = perm.map { x.shape[$0] }
        let y = Tensor(uninitializedShape: shape)
        copyStrided(shape, src: x.storage.base, perm.map { xs[$0] }, dst: y.storage.base, contiguousStrides(shape), reference: reference)
        return y
    }

    /// NumPy broadcast of `x` to `shape` (ONNX Expand with a known result shape): a strided
    /// copy reading with stride 0 along the dimensions x repeats. x's rank ≤ shape's rank;
    /// each dimension of x is 1 or the target's.
    public static func expand(_ x: Tensor, to shape: [Int], reference: Bool = false) -> Tensor {
        let own = contiguousStrides(x.shape), pad = shape.count - x.rank
        let ss = shape.indices.map { i -> Int64 in i < pad || (x.shape[i - pad] == 1 && shape[i] != 1) ? 0 : own[i - pad] }
        let y = Tensor(uninitializedShape: shape)
        copyStrided(shape, src: x.storage.base, ss, dst: y.storage.base, contiguousStrides(shape), reference: reference)
        return y
    }

    /// Joins tensors along `axis` (negative counts from the end); other dimensions must match.
    public static func concat(_ xs: [Tensor], axis: Int, reference: Bool = false) throws -> Tensor {
        guard let first = xs.first else { throw ShapeError("concat: no inputs") }
        let a = axis < 0 ? axis + first.rank : axis
        guard a >= 0, a < first.rank else { throw ShapeError("concat: axis \(axis) out of range for rank \(first.rank)") }
        for t in xs where t.rank != first.rank || (0..<first.rank).contains(where: { $0 != a && t.shape[$0] != first.shape[$0] }) {
            throw ShapeError("concat: shape \(t.shape) does not match \(first.shape) outside axis \(a)")
        }
        var shape = first.shape
        shape[a] = xs.reduce(0) { $0 + $1.shape[a] }
        let y = Tensor(uninitializedShape: shape)
        let ys = contiguousStrides(shape)
        var offset = 0
        for t in xs {
            copyStrided(t.shape, src: t.storage.base, contiguousStrides(t.shape), dst: y.storage.base + offset * Int(ys[a]), ys, reference: reference)
            offset += t.shape[a]
        }
        return y
    }

    /// ONNX Slice: per listed axis, [start, end) by step (negative indices count from the
    /// end, bounds clamped as ONNX does; negative steps walk backwards).
    public static func slice(_ x: Tensor, starts: [Int], ends: [Int], axes: [Int], steps: [Int], reference: Bool = false) -> Tensor {
        var begin = [Int](repeating: 0, count: x.rank), step = [Int](repeating: 1, count: x.rank), shape = x.shape
        for (i, ax) in axes.enumerated() {
            let a = ax < 0 ? ax + x.rank : ax, d = x.shape[a], st = i < steps.count ? steps[i] : 1
            guard st != 0 else { continue }
            var s = starts[i], e = ends[i]
            if s < 0 { s += d }
            if e < 0 { e += d }
            if st > 0 {
                s = min(max(s, 0), d); e = min(max(e, 0), d)
                shape[a] = e > s ? (e - s + st - 1) / st : 0
            } else {
                s = min(max(s, -1), d - 1); e = min(max(e, -1), d - 1)
                shape[a] = s > e ? (s - e - st - 1) / -st : 0
            }
            begin[a] = s; step[a] = st
        }
        let y = Tensor(uninitializedShape: shape)
        guard !shape.contains(0) else { return y }
        let xs = contiguousStrides(x.shape)
        let start = zip(begin, xs).reduce(0) { $0 + $1.0 * Int($1.1) }
        copyStrided(shape, src: x.storage.base + start, zip(xs, step).map { $0 * Int64($1) },
                    dst: y.storage.base, contiguousStrides(shape), reference: reference)
        return y
    }

    /// ONNX Pad: `pads` = begins of every dimension, then ends (negative crops).
    public static func pad(_ x: Tensor, pads: [Int], mode: PadMode, value: Float, reference: Bool = false) -> Tensor {
        let r = x.rank
        let shape = (0..<r).map { x.shape[$0] + pads[$0] + pads[r + $0] }
        let y = Tensor(uninitializedShape: shape)
        guard !shape.contains(where: { $0 <= 0 }), r <= Int(KILN_OPS_MAX_RANK) else { return y }
        (reference ? kiln_pad_ref : kiln_pad)(Int32(r), x.shape.map(Int64.init), pads.map(Int64.init), mode.cMode, value,
                                              x.storage.base, y.storage.base)
        return y
    }

    /// NumPy matmul: 1-D operands are promoted (and the added dimension removed), batch
    /// dimensions broadcast.
    public static func matmul(_ a: Tensor, _ b: Tensor, reference: Bool = false) throws -> Tensor {
        guard a.rank >= 1, b.rank >= 1 else { throw ShapeError("matmul: operands \(a.shape) and \(b.shape) must have rank ≥ 1") }
        let sa = a.rank == 1 ? [1, a.shape[0]] : a.shape, sb = b.rank == 1 ? [b.shape[0], 1] : b.shape
        let m = sa[sa.count - 2], k = sa[sa.count - 1], n = sb[sb.count - 1]
        guard sb[sb.count - 2] == k else { throw ShapeError("matmul: inner dimensions of \(a.shape) and \(b.shape) differ (\(k) vs \(sb[sb.count - 2]))") }
        let ba = Array(sa.dropLast(2)), bb = Array(sb.dropLast(2))
        let batch = try broadcastShape(ba, bb, op: "matmul")
        let stA = broadcastStrides(ba, to: batch), stB = broadcastStrides(bb, to: batch)
        var outShape = batch + [m, n]
        let y = Tensor(uninitializedShape: outShape)
        let count = batch.reduce(1, *)
        for i in 0..<count {
            var rem = i, offA: Int64 = 0, offB: Int64 = 0
            for d in stride(from: batch.count - 1, through: 0, by: -1) {
                let idx = Int64(rem % batch[d]); rem /= batch[d]
                offA += idx * stA[d]; offB += idx * stB[d]
            }
            (reference ? kiln_matmul_ref : kiln_matmul)(Int32(m), Int32(n), Int32(k), a.storage.base + Int(offA) * m * k,
                                                        b.storage.base + Int(offB) * k * n, y.storage.base + i * m * n)
        }
        if a.rank == 1 { outShape.remove(at: outShape.count - 2) }
        if b.rank == 1 { outShape.removeLast() }
        return y.reshaped(outShape)
    }
}
