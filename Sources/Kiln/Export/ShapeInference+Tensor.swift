/// Shape rules of the layout and reduction ops (broadcasting, reshape, transpose, concat,
/// slice, pad, matmul, reduce_mean, softmax, lrn). As everywhere, a symbol may only sit in
/// dimension 0 (the batch) and the op must not need its size.
extension ShapeInference {
    /// NumPy broadcasting of two shapes, aligned on the right.
    static func broadcast(_ a: [SymDim], _ b: [SymDim], _ op: GraphOp) throws(ShapeInferenceFailure) -> [SymDim] {
        let rank = Swift.max(a.count, b.count)
        var out: [SymDim] = []
        for i in 0..<rank {
            let da = i < rank - a.count ? SymDim.static(1) : a[i - (rank - a.count)]
            let db = i < rank - b.count ? SymDim.static(1) : b[i - (rank - b.count)]
            if da == db || db == .static(1) { out.append(da) } else if da == .static(1) { out.append(db) } else {
                throw .mismatch("\(op): shapes \(a.shapeDescription) and \(b.shapeDescription) do not broadcast (dimension \(i): \(da) and \(db))")
            }
        }
        try symbolsFirst(out, op)
        return out
    }

    static func tensorOp(_ op: GraphOp, _ a: NodeAttributes, _ inputs: [[SymDim]]) throws(ShapeInferenceFailure) -> [SymDim] {
        let x = inputs[0]
        switch op {
        case .reduceMean, .reduceMax, .reduceMin, .reduceProd, .reduceL1, .reduceL2, .reduceSumSquare, .reduceLogSum, .reduceLogSumExp:
            let axes = try normalizedAxes(a.axes!, rank: x.count, op)
            for d in axes { _ = try staticDim(x, d, inputIndex: 0, op) }
            let keep = a.keepDims!
            return x.enumerated().compactMap { d, size in axes.contains(d) ? (keep ? .static(1) : nil) : size }
        case .softmax, .logSoftmax:
            let axis = try normalizedAxes([a.axis!], rank: x.count, op)[0]
            _ = try staticDim(x, axis, inputIndex: 0, op)
            return x
        case .lrn:
            guard x.count >= 3 else { throw .mismatch("lrn expects (N, C, …), got \(x.shapeDescription)") }
            _ = try staticDim(x, 1, inputIndex: 0, op)
            guard a.size! >= 1, a.bias! > 0 || a.beta! == 0 else { throw .mismatch("lrn: invalid size \(a.size!) or bias \(a.bias!)") }
            return x
        case .matmul: return try matmul(x, inputs[1])
        case .reshape: return try reshape(x, a.shape!)
        case .transpose:
            let perm = a.perm!
            guard perm.count == x.count, Set(perm) == Set(0..<x.count) else {
                throw .mismatch("transpose: perm \(perm) is not a permutation of the \(x.count) dimensions of \(x.shapeDescription)")
            }
            let out = perm.map { x[$0] }
            try symbolsFirst(out, op)
            return out
        case .concat: return try concat(inputs, axis: a.axis!)
        case .slice: return try slice(x, a)
        case .pad: return try pad(x, a)
        case .expand: return try expand(x, like: inputs.count > 1 ? inputs[1] : nil, a.shape!)
        default: throw .mismatch("\(op) is not a tensor op")
        }
    }

    /// Sorted, unique axes within 0..<rank (the importer normalises negative axes).
    static func normalizedAxes(_ axes: [Int], rank: Int, _ op: GraphOp) throws(ShapeInferenceFailure) -> [Int] {
        guard !axes.isEmpty, axes.allSatisfy({ (0..<rank).contains($0) }), axes == Array(Set(axes)).sorted() else {
            throw .mismatch("\(op): axes \(axes) must be sorted, unique and within 0..<\(rank)")
        }
        return axes
    }

    private static func matmul(_ a: [SymDim], _ b: [SymDim]) throws(ShapeInferenceFailure) -> [SymDim] {
        guard a.count >= 2, b.count >= 2 else { throw .mismatch("matmul: inputs \(a.shapeDescription) and \(b.shapeDescription) must have rank ≥ 2") }
        let k = try staticDim(a, a.count - 1, inputIndex: 0, .matmul)
        guard b[b.count - 2] == .static(k) else {
            throw .mismatch("matmul: \(a.shapeDescription) × \(b.shapeDescription): inner sizes differ")
        }
        let n = try staticDim(b, b.count - 1, inputIndex: 1, .matmul)
        let batch = try broadcast(Array(a.dropLast(2)), Array(b.dropLast(2)), .matmul)
        let out = batch + [a[a.count - 2], .static(n)]
        try symbolsFirst(out, .matmul)
        return out
    }

    private static func reshape(_ x: [SymDim], _ target: [Int]) throws(ShapeInferenceFailure) -> [SymDim] {
        guard target.filter({ $0 == -1 }).count <= 1, target.allSatisfy({ $0 >= -1 }), !target.isEmpty else {
            throw .mismatch("reshape: target \(target) may hold one -1, no other negative size, and is not empty")
        }
        var out: [SymDim] = []
        for (i, t) in target.enumerated() {
            if t == 0 {
                guard i < x.count else { throw .mismatch("reshape: target \(target) copies dimension \(i), input \(x.shapeDescription) has none") }
                out.append(x[i])
            } else { out.append(.static(t)) }
        }
        // Rows: with a symbolic batch it must be kept (0) and the rest is per row.
        let symbolic = x.first?.symbolName != nil
        if symbolic, target[0] != 0 { throw .mismatch("reshape: target \(target) must keep the symbolic batch of \(x.shapeDescription) with 0") }
        let from = symbolic ? 1 : 0
        var have = 1, known = 1
        for d in x[from...] {
            guard let n = d.staticValue else { throw .mismatch("reshape: input \(x.shapeDescription) has a symbol past dimension 0") }
            (have, _) = have.multipliedReportingOverflow(by: n)
        }
        for (i, t) in target.enumerated().dropFirst(from) where t != -1 {
            (known, _) = known.multipliedReportingOverflow(by: out[i].staticValue ?? 1)
        }
        if let hole = target.firstIndex(of: -1) {
            guard known > 0, have % known == 0 else { throw .mismatch("reshape: cannot infer -1 in \(target) for input \(x.shapeDescription)") }
            out[hole] = .static(have / known)
        } else if have != known {
            throw .mismatch("reshape: input \(x.shapeDescription) has \(have) elements\(symbolic ? " per row" : ""), target \(target) \(known)")
        }
        try symbolsFirst(out, .reshape)
        return out
    }

    private static func concat(_ inputs: [[SymDim]], axis: Int) throws(ShapeInferenceFailure) -> [SymDim] {
        let x = inputs[0]
        let axis = try normalizedAxes([axis], rank: x.count, .concat)[0]
        var total = 0
        for (i, y) in inputs.enumerated() {
            guard y.count == x.count, y.indices.allSatisfy({ $0 == axis || y[$0] == x[$0] }) else {
                throw .mismatch("concat: input \(i) has shape \(y.shapeDescription), which differs from \(x.shapeDescription) outside axis \(axis)")
            }
            total += try staticDim(y, axis, inputIndex: i, .concat)
        }
        var out = x
        out[axis] = .static(total)
        return out
    }

    private static func slice(_ x: [SymDim], _ a: NodeAttributes) throws(ShapeInferenceFailure) -> [SymDim] {
        let starts = a.starts!, ends = a.ends!, axes = a.axes!, steps = a.steps!
        guard starts.count == axes.count, ends.count == axes.count, steps.count == axes.count, Set(axes).count == axes.count,
              axes.allSatisfy({ (0..<x.count).contains($0) }), !steps.contains(0) else {
            throw .mismatch("slice: starts \(starts), ends \(ends), axes \(axes), steps \(steps) must have one entry per unique axis and no step 0")
        }
        var out = x
        for (i, axis) in axes.enumerated() {
            let n = try staticDim(x, axis, inputIndex: 0, .slice)
            let len = sliceRange(n, start: starts[i], end: ends[i], step: steps[i]).count
            guard len >= 1 else { throw .mismatch("slice: axis \(axis) of \(x.shapeDescription) becomes empty (start \(starts[i]), end \(ends[i]), step \(steps[i]))") }
            out[axis] = .static(len)
        }
        return out
    }

    /// ONNX Slice on one axis of size `n`: negative start/end count from the end, then
    /// clamp (to [0, n] going forward, to [-1, n-1] going backward).
    static func sliceRange(_ n: Int, start: Int, end: Int, step: Int) -> (start: Int, count: Int) {
        var s = start < 0 ? start + n : start, e = end < 0 ? end + n : end
        if step > 0 {
            s = Swift.min(Swift.max(s, 0), n); e = Swift.min(Swift.max(e, 0), n)
            return (s, e > s ? (e - s + step - 1) / step : 0)
        }
        s = Swift.min(Swift.max(s, -1), n - 1); e = Swift.min(Swift.max(e, -1), n - 1)
        return (s, s > e ? (s - e - step - 1) / -step : 0)
    }

    private static func pad(_ x: [SymDim], _ a: NodeAttributes) throws(ShapeInferenceFailure) -> [SymDim] {
        let pads = a.pads!, rank = x.count
        guard pads.count == 2 * rank, ["constant", "reflect", "edge"].contains(a.mode!) else {
            throw .mismatch("pad: needs \(2 * rank) pads for \(x.shapeDescription) and mode constant, reflect or edge")
        }
        var out = x
        for d in 0..<rank where pads[d] != 0 || pads[rank + d] != 0 {
            let n = try staticDim(x, d, inputIndex: 0, .pad)
            if a.mode! == "reflect", pads[d] >= n || pads[rank + d] >= n {
                throw .mismatch("pad: reflect pads \(pads[d]), \(pads[rank + d]) must be smaller than dimension \(d) (\(n))")
            }
            guard n + pads[d] + pads[rank + d] >= 1 else { throw .mismatch("pad: dimension \(d) of \(x.shapeDescription) becomes empty") }
            out[d] = .static(n + pads[d] + pads[rank + d])
        }
        return out
    }

    /// `expand`: x broadcast to `target`, where a 0 in dimension 0 is the batch of `like` (or x's own).
    static func expand(_ x: [SymDim], like: [SymDim]?, _ target: [Int]) throws(ShapeInferenceFailure) -> [SymDim] {
        guard let first = target.first, first >= 0, target.dropFirst().allSatisfy({ $0 >= 1 }), x.count <= target.count else {
            throw .mismatch("expand: target \(target) must list a size ≥ 1 per dimension (0 in dimension 0: the batch) for \(x.shapeDescription)")
        }
        let batch: SymDim
        if first != 0 { batch = .static(first) } else if let like, let b = like.first { batch = b } else if x.count == target.count, let b = x.first { batch = b } else {
            throw .mismatch("expand: target \(target) keeps a batch that \(x.shapeDescription) does not have")
        }
        let out = [batch] + target.dropFirst().map { SymDim.static($0) }
        let pad = out.count - x.count
        for (i, d) in x.enumerated() where d != .static(1) && d != out[i + pad] {
            throw .mismatch("expand: \(x.shapeDescription) does not broadcast to \(out.shapeDescription) (dimension \(i + pad))")
        }
        try symbolsFirst(out, .expand)
        var elements = 1
        for d in target.dropFirst() {
            let (p, o) = elements.multipliedReportingOverflow(by: d)
            guard !o, p <= dimensionLimit else { throw .mismatch("expand: \(out.shapeDescription) has too many elements per batch row") }
            elements = p
        }
        return out
    }

    /// A symbol anywhere but dimension 0 cannot be compiled or guarded.
    private static func symbolsFirst(_ shape: [SymDim], _ op: GraphOp) throws(ShapeInferenceFailure) {
        if let d = shape.indices.dropFirst().first(where: { shape[$0].symbolName != nil }) {
            throw .mismatch("\(op): its output \(shape.shapeDescription) would carry the symbol \(shape[d]) in dimension \(d); only dimension 0 may be symbolic")
        }
    }
}
