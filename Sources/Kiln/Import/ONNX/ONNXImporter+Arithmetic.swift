/// Broadcasting arithmetic (float tensors, and integer shape arithmetic folded at import),
/// Gemm and MatMul.
extension ONNXImporter {
    func importBinary() throws(ONNXImportError) -> ImportValue {
        // Sum, Max and Min take one or more inputs (broadcasting since opset 8).
        if let op = ["Sum": GraphOp.add, "Max": .maximum, "Min": .minimum][node.opType] {
            var acc = try required(0)
            for i in 1..<Swift.max(node.inputs.count, 1) {
                acc = try binary(op, acc, try required(i), suffix: i == node.inputs.count - 1 ? "" : "_\(i)")
            }
            return acc
        }
        var a = try required(0), b = try required(1)
        // Before opset 7, `broadcast: 1` with `axis` aligns b at that axis of a.
        if opset < 7, try int("broadcast", 0) == 1, let ax = try ints("axis")?.first, case .constant(let c) = b {
            let r = try rank(a), at = try axis(ax, rank: r)
            let trailing = Swift.max(0, r - at - c.shape.count)
            b = .constant(ONNXConstant(shape: c.shape + [Int](repeating: 1, count: trailing), floats: c.floatValues))
        }
        let op: GraphOp = ["Add": .add, "Sub": .sub, "Mul": .mul, "Pow": .pow][node.opType] ?? .div
        if op == .mul, case .tensor(let ta) = a, case .tensor(let tb) = b {
            // x · sigmoid(x) is SiLU (torch exports nn.SiLU so before opset 22).
            for (x, s) in [(ta, tb), (tb, ta)] {
                if let p = producer[s.name], p.op == .sigmoid, p.inputs == [x.name] { return try apply(.silu, [.tensor(x)]) }
            }
        }
        if op == .mul {
            for (t, half) in [(a, b), (b, a)] {
                guard case .tensor(let tv) = t, case .constant(let c) = half, c.count == 1, c.floatValues[0] == 0.5, let x = geluInput(tv) else { continue }
                var attributes = NodeAttributes()
                attributes.mode = "none"
                return try apply(.gelu, [.tensor(x)], attributes)
            }
        }
        return try binary(op, a, b)
    }

    private func binary(_ op: GraphOp, _ a: ImportValue, _ b: ImportValue, suffix: String = "") throws(ONNXImportError) -> ImportValue {
        if a.isMoved || b.isMoved { return try binaryMoved(op, a, b) }
        let aInts = isIntegral(a), bInts = isIntegral(b)
        // Integer shape arithmetic (add, sub, mul, div) stays integer; max, min and pow of
        // integers fold through the float kernels.
        if aInts, bInts, op.binaryOp.map({ [.add, .sub, .mul, .div].contains($0) }) == true, let x = symbolicInts(a), let y = symbolicInts(b) {
            return try shapeElementwise(node.opType, x, shape(a), y, shape(b)) { p, q throws(ONNXImportError) in try self.shapeArithmetic(op, p, q) }
        }
        return try apply(op, [a, b], suffix: suffix)
    }

    private func isIntegral(_ v: ImportValue) -> Bool {
        switch v {
        case .constant(let c): c.isInteger
        case .symbolic: true
        case .tensor, .moved: false
        }
    }

    /// An integer value: a constant when every element is static.
    func symbolicValue(shape: [Int], _ values: [ShapeScalar]) -> ImportValue {
        if let s = values.staticShape { return .constant(ONNXConstant(shape: shape, ints: s.map { Int64($0) })) }
        return .symbolic(shape: shape, values: values)
    }

    func importGemm() throws(ONNXImportError) -> ImportValue {
        let x = try required(0)
        guard case .moved(let m) = x else { return try gemm(x) }
        // Rows of a moved batch: only a constant B and a bias per column act row by row.
        let bias = try input(2) == nil ? nil : try constantInput(2)
        guard try int("transA", 0) == 0, try constantInput(1) != nil, try input(2) == nil || (bias?.shape.count ?? 2) <= 1 else {
            throw movedRefusal(m, onnxName: node.inputs[0])
        }
        return try rowwise(m) { a throws(ONNXImportError) in try gemm(a) }
    }

    private func gemm(_ x: ImportValue) throws(ONNXImportError) -> ImportValue {
        let alpha = try float("alpha", 1), beta = try float("beta", 1)
        let transA = try int("transA", 0) != 0, transB = try int("transB", 0) != 0
        var a = x
        if transA { a = try apply(.transpose, [a], perm([1, 0]), suffix: "_a_t") }
        let y: ImportValue
        if let b = try constantInput(1), b.shape.count == 2, case .tensor = a {
            // y = x Wᵀ with W = Bᵀ (or B when transB), scaled by alpha: Kiln's linear.
            let (k, n) = transB ? (b.shape[1], b.shape[0]) : (b.shape[0], b.shape[1])
            let v = b.floatValues
            var w = [Float](repeating: 0, count: n * k)
            for o in 0..<n { for i in 0..<k { w[o * k + i] = alpha * (transB ? v[o * k + i] : v[i * n + o]) } }
            var args: [ImportValue] = [a, .constant(ONNXConstant(shape: [n, k], floats: w))]
            var residual: ONNXConstant?
            if let c = try constantInput(2) {
                let cv = c.floatValues.map { $0 * beta }
                if c.count == n && (c.shape == [n] || c.shape == [1, n]) { args.append(.constant(ONNXConstant(shape: [n], floats: cv))) }
                else if c.count == 1 { args.append(.constant(ONNXConstant(shape: [n], floats: [Float](repeating: cv[0], count: n)))) }
                else { residual = ONNXConstant(shape: c.shape, floats: cv) }
            } else if try input(2) != nil {
                throw unsupported("Gemm's C is computed at run time", fix: "export with a constant bias")
            }
            let lin = try apply(.linear, args, suffix: residual == nil ? "" : "_linear")
            return try residual.map { r throws(ONNXImportError) in try apply(.add, [lin, .constant(r)]) } ?? lin
        }
        var b = try required(1)
        if transB { b = try apply(.transpose, [b], perm([1, 0]), suffix: "_b_t") }
        y = try apply(.matmul, [a, b], suffix: "_matmul")
        var scaled = y
        if alpha != 1 { scaled = try apply(.mul, [y, .constant(ONNXConstant(shape: [], floats: [alpha]))], suffix: "_alpha") }
        if let c = try input(2) {
            let bc: ImportValue = beta == 1 ? c : try apply(.mul, [c, .constant(ONNXConstant(shape: [], floats: [beta]))], suffix: "_beta")
            return try apply(.add, [scaled, bc])
        }
        return scaled
    }

    func importMatMul() throws(ONNXImportError) -> ImportValue {
        let a = try required(0)
        if case .moved(let m) = a, let b = try constantInput(1), b.shape.count == 2 {
            return try rowwise(m) { x throws(ONNXImportError) in
                let (k, n) = (b.shape[0], b.shape[1]), v = b.floatValues
                var w = [Float](repeating: 0, count: n * k)
                for o in 0..<n { for i in 0..<k { w[o * k + i] = v[i * n + o] } }
                return try apply(.linear, [x, .constant(ONNXConstant(shape: [n, k], floats: w))])
            }
        }
        if case .tensor = a, let b = try constantInput(1), b.shape.count == 2 {
            let (k, n) = (b.shape[0], b.shape[1]), v = b.floatValues
            var w = [Float](repeating: 0, count: n * k)
            for o in 0..<n { for i in 0..<k { w[o * k + i] = v[i * n + o] } }
            return try apply(.linear, [a, .constant(ONNXConstant(shape: [n, k], floats: w))])
        }
        guard try rank(a) >= 2, try rank(try required(1)) >= 2 else {
            throw unsupported("MatMul with a 1-D operand", fix: "unsqueeze the vector to a matrix before the product")
        }
        return try apply(.matmul, [a, try required(1)])
    }

    func perm(_ p: [Int]) -> NodeAttributes {
        var a = NodeAttributes()
        a.perm = p
        return a
    }
}
