/// Concat, Split, Slice and Gather, on tensors (as IR ops) and on shape values (at import).
extension ONNXImporter {
    func importConcat() throws(ONNXImportError) -> ImportValue {
        var parts: [ImportValue] = []
        for i in node.inputs.indices { parts.append(try required(i)) }
        guard !parts.isEmpty else { throw invalidGraph("Concat has no inputs") }
        let ax = try int("axis", 0)
        if parts.allSatisfy({ if case .tensor = $0 { false } else { true } }), parts.allSatisfy({ shape($0).count <= 1 }),
           let vectors = Optional(parts.compactMap(symbolicInts)), vectors.count == parts.count,
           parts.allSatisfy({ if case .constant(let c) = $0 { c.isInteger } else { true } }) {
            let all = vectors.flatMap { $0 }
            return symbolicValue(shape: [all.count], all)
        }
        // Empty constants (shape [0] pieces) contribute nothing.
        let kept = parts.filter { if case .constant(let c) = $0 { c.count > 0 } else { true } }
        let r = shape(kept[0]).count
        var a = NodeAttributes()
        a.axis = try axis(ax, rank: r)
        if kept.count == 1 { return kept[0] }
        return try apply(.concat, kept, a)
    }

    func importSplit() throws(ONNXImportError) -> [ImportValue] {
        let x = try required(0)
        let xs = shape(x)
        let a = try axis(try int("axis", 0), rank: xs.count)
        guard let n = xs[a].staticValue else { throw shapeError("Split along the symbolic batch of \(xs.shapeDescription)") }
        var sizes: [Int]
        if opset < 13, let s = try ints("split") { sizes = s } else if opset >= 13, try input(1) != nil { sizes = try staticInts(1, "split") } else {
            let k = node.outputs.count
            guard k >= 1 else { throw invalidGraph("Split has no outputs") }
            let chunk = (n + k - 1) / k
            sizes = (0..<k).map { Swift.max(0, Swift.min(chunk, n - $0 * chunk)) }
        }
        // Each size in 0...n before summing: a hostile `split` of huge values must not overflow.
        guard sizes.count == node.outputs.count, sizes.allSatisfy({ (0...n).contains($0) }), sizes.reduce(0, +) == n else {
            throw shapeError("split sizes \(sizes) do not divide dimension \(a) (\(n)) into \(node.outputs.count) outputs")
        }
        var out: [ImportValue] = []
        var start = 0
        for (k, size) in sizes.enumerated() {
            out.append(try slice(x, axes: [a], starts: [start], ends: [start + size], steps: [1], output: k))
            start += size
        }
        return out
    }

    func importSlice() throws(ONNXImportError) -> ImportValue {
        let x = try required(0)
        var starts: [Int], ends: [Int], axes: [Int]?, steps: [Int]?
        if opset < 10 {
            starts = try ints("starts") ?? []; ends = try ints("ends") ?? []; axes = try ints("axes")
        } else {
            starts = try staticInts(1, "starts"); ends = try staticInts(2, "ends")
            if try input(3) != nil { axes = try staticInts(3, "axes") }
            if try input(4) != nil { steps = try staticInts(4, "steps") }
        }
        let xs = shape(x)
        var normalized: [Int] = []
        for a in axes ?? Array(0..<starts.count) { normalized.append(try axis(a, rank: xs.count)) }
        let st = steps ?? [Int](repeating: 1, count: starts.count)
        guard ends.count == starts.count, normalized.count == starts.count, st.count == starts.count else {
            throw shapeError("Slice has \(starts.count) starts, \(ends.count) ends, \(normalized.count) axes and \(st.count) steps")
        }
        return try slice(x, axes: normalized, starts: starts, ends: ends, steps: st)
    }

    /// ONNX Slice of `x`; a full slice of the symbolic batch is dropped, values are clamped
    /// into small numbers with the same meaning.
    func slice(_ x: ImportValue, axes: [Int], starts: [Int], ends: [Int], steps: [Int], output: Int = 0) throws(ONNXImportError) -> ImportValue {
        let xs = shape(x)
        var a = NodeAttributes()
        a.axes = []; a.starts = []; a.ends = []; a.steps = []
        for (i, axis) in axes.enumerated() {
            guard steps[i] != 0 else { throw shapeError("Slice step 0") }
            guard let n = xs[axis].staticValue else {
                if starts[i] == 0, steps[i] == 1, ends[i] >= Int(Int32.max) { continue }
                throw shapeError("Slice of the symbolic batch of \(xs.shapeDescription)")
            }
            let (s, count) = ShapeInference.sliceRange(n, start: starts[i], end: ends[i], step: steps[i])
            var e = s + count * steps[i]
            if e < 0 { e = -(n + 1) }
            a.axes!.append(axis); a.starts!.append(s); a.ends!.append(Swift.min(e, n)); a.steps!.append(steps[i])
        }
        if a.axes!.isEmpty { return x }
        if case .moved(let m) = x { return try sliceMoved(m, a) }
        if case .symbolic(_, let v) = x, xs.count == 1 {
            let (s, count) = ShapeInference.sliceRange(v.count, start: a.starts![0], end: a.ends![0], step: a.steps![0])
            return symbolicValue(shape: [count], (0..<count).map { v[s + $0 * a.steps![0]] })
        }
        if case .constant(let c) = x, c.isInteger, xs.count == 1 {
            let (s, count) = ShapeInference.sliceRange(c.count, start: a.starts![0], end: a.ends![0], step: a.steps![0])
            return .constant(ONNXConstant(shape: [count], ints: (0..<count).map { c.ints![s + $0 * a.steps![0]] }))
        }
        let order = a.axes!.indices.sorted { a.axes![$0] < a.axes![$1] }
        a.axes = order.map { a.axes![$0] }; a.starts = order.map { a.starts![$0] }
        a.ends = order.map { a.ends![$0] }; a.steps = order.map { a.steps![$0] }
        return try apply(.slice, [x], a, output: output)
    }

    func importGather() throws(ONNXImportError) -> ImportValue {
        let data = try required(0)
        let indices = try requireConstant(1, "indices").intValues
        let ishape = try requireConstant(1, "indices").shape
        let xs = shape(data)
        let a = try axis(try int("axis", 0), rank: xs.count)
        guard let n = xs[a].staticValue else { throw shapeError("Gather along the symbolic batch of \(xs.shapeDescription)") }
        let idx = try indices.map { i throws(ONNXImportError) -> Int in
            guard i >= -n, i < n else { throw shapeError("Gather index \(i) is outside -\(n)..<\(n)") }
            return i < 0 ? i + n : i
        }
        if xs.count == 1, let v = symbolicInts(data), !(data.isFloatConstant) {
            return symbolicValue(shape: ishape, idx.map { v[$0] })
        }
        if case .constant(let c) = data {
            let outer = c.shape[..<a].reduce(1, *), inner = c.shape[(a + 1)...].reduce(1, *)
            var outFloats: [Float] = [], outInts: [Int64] = []
            for o in 0..<outer { for i in idx { for k in 0..<inner {
                let src = (o * n + i) * inner + k
                if let f = c.floats { outFloats.append(f[src]) } else { outInts.append(c.ints![src]) }
            } } }
            let shape = Array(c.shape[..<a]) + ishape + Array(c.shape[(a + 1)...])
            return c.floats != nil ? .constant(ONNXConstant(shape: shape, floats: outFloats)) : .constant(ONNXConstant(shape: shape, ints: outInts))
        }
        // A run-time tensor: one index (or a run of consecutive ones) is a slice.
        guard let first = idx.first, idx == Array(first..<(first + idx.count)), ishape.count <= 1 else {
            throw unsupported("Gather of a run-time tensor with indices \(indices)", fix: "index with a single position or a contiguous range")
        }
        let sliced = try slice(data, axes: [a], starts: [first], ends: [first + idx.count], steps: [1])
        guard ishape.isEmpty else { return sliced }
        if case .moved(let m) = sliced {
            var out = m.logicalShape
            out.remove(at: a)
            return try reshapeMoved(m, to: out)
        }
        var out = xs
        out.remove(at: a)
        return try reshape(sliced, toShape: out)
    }
}

extension ImportValue {
    var isFloatConstant: Bool { if case .constant(let c) = self { !c.isInteger } else { false } }
}
