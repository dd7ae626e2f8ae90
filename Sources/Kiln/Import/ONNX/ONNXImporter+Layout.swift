/// Reshape, Flatten, Squeeze/Unsqueeze, Transpose, Softmax and Pad. Integer vectors (shape
/// arithmetic) are reshaped at import; tensors become `reshape` views with a symbolic batch
/// kept by 0.
extension ONNXImporter {
    func importReshape() throws(ONNXImportError) -> ImportValue {
        let x = try required(0)
        let target: [ShapeScalar]
        if opset < 5 {
            target = (try ints("shape") ?? []).map { .static($0) }
        } else {
            guard let t = symbolicInts(try required(1)) else {
                throw unsupported("the target shape is computed at run time in a way Kiln cannot fold", fix: "export with a constant or Shape-derived target shape")
            }
            target = t
        }
        if try int("allowzero", 0) != 0, target.contains(.static(0)) {
            throw unsupported("allowzero = 1 with a 0 in the target shape (an empty tensor)", fix: "export without allowzero")
        }
        return try reshape(x, to: target)
    }

    /// `x` reshaped to ONNX target `target` (0 copies, -1 infers; symbols must be x's batch).
    func reshape(_ x: ImportValue, to target: [ShapeScalar], suffix: String = "") throws(ONNXImportError) -> ImportValue {
        let xs = shape(x)
        if case .symbolic(_, let v) = x { return try reshapeInts(v, target) }
        if case .constant(let c) = x, c.isInteger, c.shape.count <= 1 { return try reshapeInts(c.intValues.map { .static($0) }, target) }
        // A target from shape arithmetic that moves the batch or multiplies it (attention's heads).
        if case .moved(let m) = x { return try reshapeMoved(m, to: target) }
        if target.enumerated().contains(where: { $0.element.symbol != nil && ($0.offset != 0 || $0.element.factor != 1) }),
           case .tensor(let g) = x, let m = BatchMovedTensor(plain: g), target.allSatisfy({ $0.symbol == nil || $0.symbol == m.symbol }) {
            return try reshapeMoved(m, to: target)
        }
        var t: [Int] = []
        for (i, d) in target.enumerated() {
            switch d.symDim {
            case .static(let v)?: t.append(v)
            default:
                guard i == 0, let s = d.symbol, xs.first == .symbol(s) else {
                    throw shapeError("the target shape \(target.shapeDescription) moves the batch symbol \(d) away from dimension 0")
                }
                t.append(0)
            }
        }
        if xs.first?.symbolName != nil, let first = t.first, first != 0 {
            let row = xs.dropFirst().reduce(1) { $0 * ($1.staticValue ?? 1) }
            let rest = t.dropFirst()
            if first == -1, !rest.contains(-1), !rest.contains(0), rest.reduce(1, *) == row { t[0] = 0 }
            else { throw shapeError("reshape of \(xs.shapeDescription) to \(t) would change the symbolic batch; Kiln keeps dimension 0 the batch") }
        }
        var a = NodeAttributes()
        a.shape = t
        return try apply(.reshape, [x], a, suffix: suffix)
    }

    private func reshapeInts(_ v: [ShapeScalar], _ target: [ShapeScalar]) throws(ONNXImportError) -> ImportValue {
        guard let t = target.staticShape, (t.isEmpty && v.count == 1) || (t.count == 1 && (t[0] == v.count || t[0] == -1)) else {
            throw unsupported("reshape of a shape value to \(target.shapeDescription)", fix: "simplify the model's shape arithmetic (onnxsim)")
        }
        return symbolicValue(shape: t.isEmpty ? [] : [v.count], v)
    }

    /// `x` reshaped to `out` (a shape with x's batch symbol, if any, in dimension 0).
    func reshape(_ x: ImportValue, toShape out: [SymDim]) throws(ONNXImportError) -> ImportValue {
        let xs = shape(x)
        if xs == out { return x }
        if case .symbolic(_, let v) = x { return symbolicValue(shape: out.compactMap(\.staticValue), v) }
        if case .constant(let c) = x, c.isInteger { return .constant(ONNXConstant(shape: out.compactMap(\.staticValue), ints: c.ints!)) }
        return try reshape(x, to: out.map(ShapeScalar.init))
    }

    func importFlatten() throws(ONNXImportError) -> ImportValue {
        let x = try required(0)
        let xs = shape(x), r = xs.count
        let ax = try int("axis", 1)
        guard ax >= -r, ax <= r else { throw shapeError("axis \(ax) is outside -\(r)…\(r)") }
        let a = ax < 0 ? ax + r : ax
        if case .tensor = x, a == 1, r >= 2 {
            var attrs = NodeAttributes()
            attrs.startDim = 1
            return try apply(.flatten, [x], attrs)
        }
        let inner = xs[a...].reduce(1) { $0 * ($1.staticValue ?? 1) }
        if a == 1, let s = xs.first { return try reshape(x, toShape: [s, .static(inner)]) }
        guard let outer = Array(xs[..<a]).staticShape?.reduce(1, *) else { throw shapeError("Flatten at axis \(a) would merge the symbolic batch of \(xs.shapeDescription)") }
        return try reshape(x, toShape: [.static(outer), .static(inner)])
    }

    func importSqueeze(unsqueeze: Bool) throws(ONNXImportError) -> ImportValue {
        let x = try required(0)
        let xs = logicalShape(x)
        let axes = opset < 13 ? try ints("axes") : (try input(1) == nil ? nil : try staticInts(1, "axes"))
        var out = xs
        if unsqueeze {
            guard let axes else { throw invalidGraph("Unsqueeze needs axes") }
            let r = xs.count + axes.count
            var normalized: [Int] = []
            for a in axes { normalized.append(try axis(a, rank: r)) }
            for a in normalized.sorted() { out.insert(.static(1), at: a) }
        } else {
            var drop: [Int] = []
            if let axes { for a in axes { drop.append(try axis(a, rank: xs.count)) } } else { drop = xs.indices.filter { xs[$0] == .static(1) } }
            for d in drop where xs[d] != .static(1) { throw shapeError("cannot squeeze dimension \(d) of \(xs.shapeDescription) (not 1)") }
            out = xs.indices.filter { !drop.contains($0) }.map { xs[$0] }
        }
        if case .moved(let m) = x { return try reshapeMoved(m, to: out) }
        return try reshape(x, toShape: out.map { $0.symDim ?? .static(0) })
    }

    func importTranspose() throws(ONNXImportError) -> ImportValue {
        let x = try required(0)
        let p = try ints("perm") ?? Array((0..<shape(x).count).reversed())
        if let m = movedView(x), x.isMoved || p.first != 0 { return try transposeMoved(m, p) }
        return try apply(.transpose, [x], perm(p))
    }

    /// Softmax and LogSoftmax.
    func importSoftmax() throws(ONNXImportError) -> ImportValue {
        let op: GraphOp = node.opType == "LogSoftmax" ? .logSoftmax : .softmax
        let x = try required(0)
        let xs = shape(x)
        let a = try axis(try int("axis", opset < 13 ? 1 : -1), rank: xs.count)
        var attrs = NodeAttributes()
        if opset >= 13 || a == xs.count - 1 {
            attrs.axis = a
            return try apply(op, [x], attrs)
        }
        // Before opset 13 (Log)Softmax normalises over all dimensions from `axis` on, as one.
        let flat = try reshape(x, to: xs[..<a].indices.map { _ in ShapeScalar.static(0) } + [.static(-1)], suffix: "_2d")
        attrs.axis = a
        let y = try apply(op, [flat], attrs, suffix: "_\(op)")
        return try reshape(y, toShape: xs)
    }

    func importPad() throws(ONNXImportError) -> ImportValue {
        let x = try required(0)
        let r = shape(x).count
        let mode = try string("mode", "constant")
        guard ["constant", "reflect", "edge"].contains(mode) else {
            throw unsupported("Pad mode \"\(mode)\" is not supported (Kiln pads constant, reflect and edge)", fix: "use constant, reflect or edge padding")
        }
        var pads: [Int], value: Float = 0
        if opset < 11 {
            pads = try ints("pads") ?? []
            value = try float("value", 0)
        } else {
            pads = try staticInts(1, "pads")
            if try input(2) != nil { value = try scalar(2, "constant_value") }
            if try input(3) != nil {
                let axes = try staticInts(3, "axes")
                var full = [Int](repeating: 0, count: 2 * r)
                guard pads.count == 2 * axes.count else { throw shapeError("Pad has \(pads.count) pads for \(axes.count) axes") }
                for (i, a) in axes.enumerated() { let d = try axis(a, rank: r); full[d] = pads[i]; full[r + d] = pads[axes.count + i] }
                pads = full
            }
        }
        var a = NodeAttributes()
        a.pads = pads; a.mode = mode; a.value = value
        return try apply(.pad, [x], a)
    }
}
