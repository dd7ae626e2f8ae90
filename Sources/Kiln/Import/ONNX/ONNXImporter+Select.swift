/// Equal, Where, Mod and Expand. Kiln's programs compute FLOAT tensors and hold no booleans,
/// so Equal, Where and Mod are folded at import (torch's shape arithmetic around a dynamic
/// batch, constant subgraphs); on run-time tensors they are refused. Expand folds a constant
/// to a static shape and otherwise becomes the graph's `expand`.
extension ONNXImporter {
    func importEqual() throws(ONNXImportError) -> ImportValue {
        let a = try required(0), b = try required(1)
        if let x = symbolicInts(a), let y = symbolicInts(b), !a.isFloatConstant, !b.isFloatConstant, shape(a).count <= 1, shape(b).count <= 1 {
            return try shapeElementwise("Equal", x, shape(a), y, shape(b)) { p, q throws(ONNXImportError) in try self.shapeEqual(p, q) }
        }
        guard case .constant(let c) = a, case .constant(let d) = b else { throw runTimeRefusal("Equal") }
        return .constant(try foldBroadcast([c, d], integer: true) { v in v[0] == v[1] ? 1 : 0 })
    }

    func importWhere() throws(ONNXImportError) -> ImportValue {
        let cond = try required(0), x = try required(1), y = try required(2)
        guard case .constant(let c) = cond else { throw runTimeRefusal("Where (its condition is computed at run time)") }
        if let p = symbolicInts(x), let q = symbolicInts(y), !x.isFloatConstant, !y.isFloatConstant, c.shape.count <= 1, shape(x).count <= 1, shape(y).count <= 1 {
            let n = Swift.max(c.count, p.count, q.count)
            for k in [c.count, p.count, q.count] where k != n && k != 1 {
                throw shapeError("Where of shapes \(c.shape), \(shape(x).shapeDescription) and \(shape(y).shapeDescription) (they do not broadcast)")
            }
            let flags = c.intValues, scalar = c.shape.isEmpty && shape(x).isEmpty && shape(y).isEmpty
            let out = (0..<n).map { i in flags[c.count == 1 ? 0 : i] != 0 ? p[p.count == 1 ? 0 : i] : q[q.count == 1 ? 0 : i] }
            return symbolicValue(shape: scalar ? [] : [n], out)
        }
        guard case .constant(let a) = x, case .constant(let b) = y else { throw runTimeRefusal("Where") }
        return .constant(try foldBroadcast([c, a, b], integer: a.isInteger && b.isInteger) { v in v[0] != 0 ? v[1] : v[2] })
    }

    func importMod() throws(ONNXImportError) -> ImportValue {
        let a = try required(0), b = try required(1)
        let fmod = try int("fmod", 0) != 0
        if let x = symbolicInts(a), let y = symbolicInts(b), !a.isFloatConstant, !b.isFloatConstant, shape(a).count <= 1, shape(b).count <= 1 {
            return try shapeElementwise("Mod", x, shape(a), y, shape(b)) { p, q throws(ONNXImportError) in try self.shapeMod(p, q, fmod: fmod) }
        }
        guard case .constant(let c) = a, case .constant(let d) = b else { throw runTimeRefusal("Mod") }
        if c.isInteger && d.isInteger {
            return .constant(try foldBroadcast([c, d], integer: true) { v throws(ONNXImportError) in
                Double(try shapeMod(.static(Int(v[0])), .static(Int(v[1])), fmod: fmod).factor)
            })
        }
        // Floats: C's fmod, or the divisor's sign (NumPy's mod) without `fmod`.
        return .constant(try foldBroadcast([c, d], integer: false) { v in
            let r = v[0].truncatingRemainder(dividingBy: v[1])
            return fmod || r == 0 || (r < 0) == (v[1] < 0) ? r : r + v[1]
        })
    }

    func importExpand() throws(ONNXImportError) -> ImportValue {
        let x = try required(0)
        guard let given = symbolicInts(try required(1)), shape(try required(1)).count == 1 else {
            throw unsupported("Expand to a shape computed at run time (or not a 1-D shape)", fix: "export with a constant or Shape-derived shape")
        }
        let xs = shape(x)
        // ONNX's Expand broadcasts both ways: a shorter target or a target 1 keeps x's size.
        let target = [ShapeScalar](repeating: .static(1), count: Swift.max(0, xs.count - given.count)) + given
        var out: [SymDim] = []
        let pad = target.count - xs.count
        for (i, t) in target.enumerated() {
            let d: SymDim = i < pad ? .static(1) : xs[i - pad]
            guard t.factor >= 0 else { throw shapeError("Expand to \(target.shapeDescription), which has a negative dimension") }
            guard let td = t.symDim else {
                throw unsupported("Expand to \(target.shapeDescription): \(t) is a multiple of the batch", fix: "re-export with a static batch")
            }
            if td == .static(1) || td == d { out.append(d) } else if d == .static(1) { out.append(td) } else {
                throw shapeError("Expand of \(xs.shapeDescription) to \(target.shapeDescription): dimension \(i) is \(d), which cannot become \(td)")
            }
        }
        if let bad = out.dropFirst().first(where: { $0.staticValue == nil }) {
            throw unsupported("Expand to \(out.shapeDescription) puts the batch \(bad) outside dimension 0", fix: "re-export with a static batch")
        }
        var elements = 1.0
        for d in out.dropFirst() { elements *= Double(d.staticValue!) }
        if let first = out.first?.staticValue { elements *= Double(first) }
        guard elements <= Double(limits.maxTensorElements) else {
            throw .limitExceeded(location, what: "Expand to \(out.shapeDescription) would make \(elements) elements per batch row (at most \(limits.maxTensorElements))",
                                 limit: .maxTensorElements, bound: limits.maxTensorElements, remedy: "expand less, or raise ONNXImportLimits.maxTensorElements")
        }
        if out == xs { return x }
        var a = NodeAttributes()
        a.shape = [out[0].staticValue ?? 0] + out.dropFirst().map { $0.staticValue! }
        if case .constant(let c) = x, let s = out.staticShape {
            let frame = ONNXConstant(shape: s, ints: [Int64](repeating: 0, count: s.reduce(1, *)))
            return .constant(try foldBroadcast([c, frame], integer: c.isInteger) { v in v[0] })
        }
        guard case .symbol(let batch) = out[0] else { return try apply(.expand, [x], a) }
        if case .tensor(let t) = x, t.shape.first == .symbol(batch) { return try apply(.expand, [x], a) }
        // A constant (a class token) gains the batch of a graph input that has it.
        guard let like = inputs.first(where: { $0.shape.first == .symbol(batch) }) else {
            throw unsupported("Expand to \(out.shapeDescription): no graph input carries the batch \(batch)", fix: "re-export with a static batch")
        }
        return .tensor(try emit(.expand, [try tensor(x, onnxName: node.inputs[0]), GraphValue(name: like.name, shape: like.shape)], a))
    }

    /// `combine` over the NumPy broadcast of constants (values as Double, exact for the
    /// integers of shape arithmetic), integer or float results.
    func foldBroadcast(_ cs: [ONNXConstant], integer: Bool, _ combine: ([Double]) throws(ONNXImportError) -> Double) throws(ONNXImportError) -> ONNXConstant {
        let rank = cs.map(\.shape.count).max() ?? 0
        var out = [Int](repeating: 1, count: rank)
        for c in cs {
            for (i, d) in c.shape.enumerated() {
                let o = i + rank - c.shape.count
                if out[o] == 1 { out[o] = d } else if d != 1 && d != out[o] {
                    throw shapeError("\(node.opType) of shapes \(cs.map { "\($0.shape)" }.joined(separator: ", ")) (they do not broadcast)")
                }
            }
        }
        let total = out.reduce(1, *)
        guard total <= limits.maxTensorElements else {
            throw .limitExceeded(location, what: "\(node.opType) of constants would make \(total) elements", limit: .maxTensorElements,
                                 bound: limits.maxTensorElements, remedy: "raise ONNXImportLimits.maxTensorElements")
        }
        let values = cs.map { c in c.ints.map { $0.map(Double.init) } ?? c.floats!.map(Double.init) }
        let strides = cs.map { c -> [Int] in
            var s = [Int](repeating: 0, count: rank), acc = 1
            for i in stride(from: c.shape.count - 1, through: 0, by: -1) {
                s[i + rank - c.shape.count] = c.shape[i] == 1 ? 0 : acc
                acc *= c.shape[i]
            }
            return s
        }
        var result = [Double](repeating: 0, count: total), idx = [Int](repeating: 0, count: rank)
        for flat in 0..<total {
            var args: [Double] = []
            for k in cs.indices { args.append(values[k][zip(idx, strides[k]).reduce(0) { $0 + $1.0 * $1.1 }]) }
            result[flat] = try combine(args)
            var d = rank - 1
            while d >= 0 { idx[d] += 1; if idx[d] < out[d] { break }; idx[d] = 0; d -= 1 }
        }
        return integer ? ONNXConstant(shape: out, ints: result.map { Int64($0) }) : ONNXConstant(shape: out, floats: result.map { Float($0) })
    }

    private func runTimeRefusal(_ what: String) -> ONNXImportError {
        unsupported("\(what) of a tensor computed at run time: Kiln's programs compute FLOAT tensors without booleans, so \(node.opType) is folded only on values known at import (shape arithmetic, constants)",
                    fix: "re-export with a static batch or simplify the model (onnxsim) so that \(node.opType) works on shapes and constants")
    }
}
