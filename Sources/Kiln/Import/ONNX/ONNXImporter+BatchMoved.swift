/// Following a batch that leaves dimension 0 (``BatchMovedTensor``): Transpose, Reshape,
/// Squeeze/Unsqueeze, Slice/Gather of other axes, MatMul/Gemm with constant weights and
/// broadcasting arithmetic with constants over the dimensions after the batch. Everything
/// else refuses such a value with the node named.
extension ONNXImporter {
    /// A run-time tensor as a batch-moved view (a plain one as the trivial case).
    func movedView(_ x: ImportValue) -> BatchMovedTensor? {
        switch x {
        case .moved(let m): m
        case .tensor(let t): BatchMovedTensor(plain: t)
        default: nil
        }
    }

    /// The logical shape of `x` with batch multiples (Shape of a moved tensor).
    func logicalShape(_ x: ImportValue) -> [ShapeScalar] {
        if case .moved(let m) = x { return m.logicalShape }
        return shape(x).map(ShapeScalar.init)
    }

    /// `m` with its stored tensor reshaped to its physical shape when that changed.
    private func settle(_ m: BatchMovedTensor, from old: GraphValue) throws(ONNXImportError) -> ImportValue {
        var m = m
        if m.physicalShape != old.shape {
            var a = NodeAttributes()
            a.shape = [0] + m.atoms.map(\.size)
            m.physical = try emit(.reshape, [old], a)
        }
        return m.isPlain ? .tensor(m.physical) : .moved(m)
    }

    func transposeMoved(_ m: BatchMovedTensor, _ p: [Int]) throws(ONNXImportError) -> ImportValue {
        guard p.count == m.dims.count, Set(p) == Set(0..<m.dims.count) else {
            throw shapeError("Transpose perm \(p) is not a permutation of the \(m.dims.count) dimensions of \(m.logicalShape.shapeDescription)")
        }
        let atoms = m.atoms
        var order = [0]
        for d in p { for (k, a) in atoms.enumerated() where a.dim == d { order.append(k + 1) } }
        var out = m
        out.dims = p.map { m.dims[$0] }
        out.batchAxis = p.firstIndex(of: m.batchAxis)!
        if order != Array(0..<order.count) { out.physical = try emit(.transpose, [m.physical], perm(order)) }
        return out.isPlain ? .tensor(out.physical) : .moved(out)
    }

    /// Reshape of `m` to an ONNX target (0 copies, one -1 infers), keeping the batch's place.
    func reshapeMoved(_ m: BatchMovedTensor, to raw: [ShapeScalar]) throws(ONNXImportError) -> ImportValue {
        let logical = m.logicalShape
        var t = raw.enumerated().map { i, d in d == .static(0) && i < logical.count ? logical[i] : d }
        guard t.filter({ $0 == .static(-1) }).count <= 1, t.allSatisfy({ $0 == .static(-1) || $0.factor >= 1 }) else {
            throw shapeError("Reshape of \(logical.shapeDescription) to \(raw.shapeDescription): sizes must be ≥ 1, with at most one -1")
        }
        if let hole = t.firstIndex(of: .static(-1)) {
            var known = 1
            for (i, d) in t.enumerated() where i != hole {
                let (p, o) = known.multipliedReportingOverflow(by: d.factor)
                guard !o else { throw shapeError("Reshape of \(logical.shapeDescription) to \(raw.shapeDescription) overflows") }
                known = p
            }
            let total = m.before * m.after
            guard total % known == 0 else { throw shapeError("Reshape of \(logical.shapeDescription) to \(raw.shapeDescription): the sizes do not divide") }
            t[hole] = t.contains { $0.symbol != nil } ? .static(total / known) : ShapeScalar(factor: total / known, symbol: m.symbol)
        }
        guard let r = m.reshaped(t) else {
            throw unsupported("Reshape of \(logical.shapeDescription) to \(t.shapeDescription) mixes the batch \(m.symbol) with other sizes in a way Kiln cannot store batch-first",
                              fix: "re-export with a static batch, or keep the batch a dimension of its own")
        }
        return try settle(r, from: m.physical)
    }

    /// Slice of dimensions other than the batch.
    func sliceMoved(_ m: BatchMovedTensor, _ a: NodeAttributes) throws(ONNXImportError) -> ImportValue {
        let atoms = m.atoms
        var mapped = a, out = m
        var physicalAxes: [Int] = []
        for (i, axis) in a.axes!.enumerated() {
            guard axis != m.batchAxis, let k = atoms.firstIndex(where: { $0.dim == axis }) else { throw movedRefusal(m, onnxName: node.inputs[0]) }
            physicalAxes.append(k + 1)
            out.dims[axis] = ShapeInference.sliceRange(m.dims[axis], start: a.starts![i], end: a.ends![i], step: a.steps![i]).count
        }
        let order = physicalAxes.indices.sorted { physicalAxes[$0] < physicalAxes[$1] }
        mapped.axes = order.map { physicalAxes[$0] }; mapped.starts = order.map { a.starts![$0] }
        mapped.ends = order.map { a.ends![$0] }; mapped.steps = order.map { a.steps![$0] }
        out.physical = try emit(.slice, [m.physical], mapped)
        return .moved(out)
    }

    /// An op on the last dimension alone (linear, Gemm) applied to the stored tensor, whose
    /// last dimension is the logical last one.
    func rowwise(_ m: BatchMovedTensor, _ body: (ImportValue) throws(ONNXImportError) -> ImportValue) throws(ONNXImportError) -> ImportValue {
        guard m.batchAxis < m.dims.count - 1 else { throw movedRefusal(m, onnxName: node.inputs[0]) }
        guard case .tensor(let y) = try body(.tensor(m.physical)), y.shape.count == m.physical.shape.count,
              y.shape.dropLast() == m.physical.shape.dropLast(), let last = y.shape.last?.staticValue else {
            throw movedRefusal(m, onnxName: node.inputs[0])
        }
        var out = m
        out.dims[out.dims.count - 1] = last
        out.physical = y
        return .moved(out)
    }

    /// Broadcasting arithmetic of a moved tensor with a constant over the dimensions after
    /// the batch, or with a moved tensor of the same layout.
    func binaryMoved(_ op: GraphOp, _ a: ImportValue, _ b: ImportValue) throws(ONNXImportError) -> ImportValue {
        let m: BatchMovedTensor
        switch (a, b) {
        case (.moved(let x), .moved(let y)):
            guard x.dims == y.dims, x.batchAxis == y.batchAxis, x.outer == y.outer, x.inner == y.inner else { throw movedRefusal(x, onnxName: node.inputs[1]) }
            var out = x
            out.physical = try emit(op, [x.physical, y.physical])
            return .moved(out)
        case (.moved(let x), .constant), (.constant, .moved(let x)): m = x
        default: throw movedRefusal(movedView(a) ?? movedView(b)!, onnxName: node.inputs[0])
        }
        let c = if case .constant(let c) = a { c } else if case .constant(let c) = b { c } else { ONNXConstant(shape: [], floats: []) }
        let trailing = m.dims.count - 1 - m.batchAxis
        let lead = c.shape.count - Swift.min(c.shape.count, trailing)
        guard c.shape.count <= m.dims.count, c.shape[..<lead].allSatisfy({ $0 == 1 }) else { throw movedRefusal(m, onnxName: node.inputs[0]) }
        let narrowed = ImportValue.constant(ONNXConstant(shape: Array(c.shape[lead...]), floats: c.floatValues))
        let phys = ImportValue.tensor(m.physical)
        guard case .tensor(let y) = try apply(op, a.isMoved ? [phys, narrowed] : [narrowed, phys]), y.shape == m.physical.shape else {
            throw movedRefusal(m, onnxName: node.inputs[0])
        }
        var out = m
        out.physical = y
        return .moved(out)
    }

    func movedRefusal(_ m: BatchMovedTensor, onnxName: String) -> ONNXImportError {
        unsupported("\"\(onnxName)\" has the batch \(m.symbol) in dimension \(m.batchAxis) of \(m.logicalShape.shapeDescription); Kiln stores the batch first and follows a moved batch only through Transpose, Reshape, Squeeze/Unsqueeze, Slice/Gather of other axes, MatMul/Gemm with constant weights and arithmetic with constants over the dimensions after the batch",
                    fix: "transpose the batch back to dimension 0 before \(current.map { $0.opType } ?? "the graph's output") (e.g. nn.MultiheadAttention(batch_first=True)), or re-export with a static batch")
    }
}

extension ImportValue {
    var isMoved: Bool { if case .moved = self { true } else { false } }
}
