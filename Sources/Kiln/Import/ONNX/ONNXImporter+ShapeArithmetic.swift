/// Integer arithmetic on shape values at import (Add, Sub, Mul, Div, Mod, Equal, Where on
/// what Shape returns): static values fold, and a multiple of the batch survives what keeps
/// it one (`s · 12`, `12·s / 3`, `12·s mod 4` = 0, `s == -1` is false because s ≥ 1).
extension ONNXImporter {
    /// `combine` applied elementwise to two shape values of rank ≤ 1 (a length-1 vector or a
    /// scalar broadcasts).
    func shapeElementwise(_ what: String, _ x: [ShapeScalar], _ xs: [SymDim], _ y: [ShapeScalar], _ ys: [SymDim],
                          _ combine: (ShapeScalar, ShapeScalar) throws(ONNXImportError) -> ShapeScalar) throws(ONNXImportError) -> ImportValue {
        guard let xShape = xs.staticShape, let yShape = ys.staticShape, xShape.count <= 1, yShape.count <= 1 else {
            throw unsupported("integer \(what) of shapes \(xs.shapeDescription) and \(ys.shapeDescription) at import", fix: "simplify the model's shape arithmetic (onnxsim)")
        }
        guard x.count == y.count || x.count == 1 || y.count == 1 else {
            throw shapeError("\(what) of shape values with \(x.count) and \(y.count) elements (they do not broadcast)")
        }
        let n = x.isEmpty || y.isEmpty ? 0 : Swift.max(x.count, y.count)
        var out: [ShapeScalar] = []
        for i in 0..<n { out.append(try combine(x[x.count == 1 ? 0 : i], y[y.count == 1 ? 0 : i])) }
        let scalar = xShape.isEmpty && yShape.isEmpty
        return symbolicValue(shape: scalar ? [] : [n], out)
    }

    /// `p op q` for Add, Sub, Mul and Div (floor division, as integer Div of non-negative
    /// shape values is).
    func shapeArithmetic(_ op: GraphOp, _ p: ShapeScalar, _ q: ShapeScalar) throws(ONNXImportError) -> ShapeScalar {
        if let u = p.staticValue, let v = q.staticValue {
            switch op {
            case .add: return .static(u &+ v)
            case .sub: return .static(u &- v)
            case .mul: return .static(u &* v)
            default:
                guard v != 0 else { throw shapeError("integer division by zero in shape arithmetic") }
                return .static(ShapeInference.floorDiv(u, v))
            }
        }
        switch op {
        case .add where q == .static(0), .sub where q == .static(0): return p
        case .add where p == .static(0): return q
        case .add where p.symbol == q.symbol: return try batchMultiple(p, p.factor.addingReportingOverflow(q.factor))
        case .sub where p.symbol == q.symbol && p.factor > q.factor: return try batchMultiple(p, p.factor.subtractingReportingOverflow(q.factor))
        case .mul:
            let (s, k) = p.symbol == nil ? (q, p.factor) : (p, q.factor)
            if q.symbol == nil || p.symbol == nil, k >= 1 { return try batchMultiple(s, s.factor.multipliedReportingOverflow(by: k)) }
        case .div:
            if let v = q.staticValue, v >= 1, p.factor % v == 0 { return ShapeScalar(factor: p.factor / v, symbol: p.symbol) }
        default: break
        }
        throw unsupported("shape arithmetic \(p) \(op) \(q) on the symbolic batch cannot be folded",
                          fix: "re-export with a static batch, or keep the batch out of the arithmetic (x.flatten(1) instead of x.view(x.size(0) * k, -1))")
    }

    private func batchMultiple(_ s: ShapeScalar, _ r: (partialValue: Int, overflow: Bool)) throws(ONNXImportError) -> ShapeScalar {
        guard !r.overflow, r.partialValue <= ShapeInference.dimensionLimit else { throw shapeError("shape arithmetic on \(s) overflows") }
        return ShapeScalar(factor: r.partialValue, symbol: s.symbol)
    }

    /// Mod of shape values: `fmod` 0 takes the divisor's sign (Python's %), 1 the dividend's (C's fmod).
    func shapeMod(_ p: ShapeScalar, _ q: ShapeScalar, fmod: Bool) throws(ONNXImportError) -> ShapeScalar {
        guard let v = q.staticValue else { throw unsupported("Mod by the symbolic batch (\(q))", fix: "re-export with a static batch") }
        guard v != 0 else { throw shapeError("integer Mod by zero in shape arithmetic (\(p) mod 0)") }
        guard let u = p.staticValue else {
            // k·s mod v is 0 for every batch s exactly when v divides k.
            if p.factor % v == 0 { return .static(0) }
            throw unsupported("\(p) mod \(v) depends on the batch", fix: "re-export with a static batch")
        }
        if v == -1 { return .static(0) }  // Int.min % -1 traps
        let r = u % v
        return .static(fmod || r == 0 || (r < 0) == (v < 0) ? r : r + v)
    }

    /// Equal of shape values as 1 or 0; a multiple of the batch (which is ≥ 1) equals no
    /// value ≤ 0, the same multiple always.
    func shapeEqual(_ p: ShapeScalar, _ q: ShapeScalar) throws(ONNXImportError) -> ShapeScalar {
        if p == q { return .static(1) }
        if let u = p.staticValue, let v = q.staticValue { return .static(u == v ? 1 : 0) }
        if let v = (p.staticValue ?? q.staticValue), v <= 0 { return .static(0) }
        throw unsupported("Equal of \(p) and \(q) depends on the batch", fix: "re-export with a static batch")
    }
}
