/// The program's placeholders: user inputs (float32, dimension 0 possibly one of the
/// program's symbols with its range) and the weights, buffers and constants the graph reads.
extension PT2Importer {
    func defineInputs() throws(PT2ImportError) {
        let specs = model.graphModule.signature.inputSpecs
        guard specs.count == graph.inputs.count else {
            throw invalidGraph("the signature lists \(specs.count) inputs, the graph \(graph.inputs.count)")
        }
        for (spec, arg) in zip(specs, graph.inputs) {
            let placeholder: String
            switch spec {
            case .parameter(let p, let key), .buffer(let p, let key), .tensorConstant(let p, let key):
                placeholder = p
                guard consumed.contains(p) else { continue }   // e.g. num_batches_tracked
                let kind: GraphConstant.Kind = if case .parameter = spec { .parameter } else { .buffer }
                let isConstant = if case .tensorConstant = spec { true } else { false }
                let expected = try staticSizes(p)
                let t = try weights.tensor(key, constant: isConstant, expected: expected)
                values[p] = .constant(PT2Constant(tensor: t, name: key, kind: kind, id: (isConstant ? "c:" : "w:") + key))
            case .userInput(let p):
                placeholder = p
                try defineUserInput(p)
            case .other(let kind):
                throw PT2ImportError(.unsupportedArgument, "\(path): the program takes a \(kind) input; Kiln's programs take tensors",
                                     fix: "export a forward(x) taking tensors only")
            }
            guard case .tensor(placeholder) = arg else {
                throw invalidGraph("graph input \(arg.summary) does not match the signature's %\(placeholder)")
            }
        }
        guard !inputs.isEmpty else { throw invalidGraph("the program has no user inputs") }
    }

    private func meta(_ name: String) throws(PT2ImportError) -> PT2TensorMeta {
        guard let m = graph.tensorValues[name] else { throw invalidGraph("the placeholder %\(name) has no entry in tensor_values") }
        guard m.sizes.count <= archive.limits.maxRank else {
            throw PT2ImportError(.limitExceeded, "\(path): %\(name) has rank \(m.sizes.count), above \(archive.limits.maxRank)",
                                 fix: "Kiln imports tensors of rank ≤ \(archive.limits.maxRank)")
        }
        return m
    }

    private func staticSizes(_ name: String) throws(PT2ImportError) -> [Int] {
        var out: [Int] = []
        for s in try meta(name).sizes {
            guard case .int(let n) = s, n >= 0 else { throw invalidGraph("the weight %\(name) has a symbolic or negative size") }
            out.append(n)
        }
        return out
    }

    private func defineUserInput(_ name: String) throws(PT2ImportError) {
        let m = try meta(name)
        guard m.dtype == 7 else {
            throw PT2ImportError(.unsupportedArgument, "\(path): the input %\(name) has dtype \(PT2Weights.dtypeName(m.dtype)); Kiln's programs take float32 inputs",
                                 fix: "export with a float32 example input (torch.randn(...))")
        }
        guard !m.sizes.isEmpty else {
            throw PT2ImportError(.unsupportedArgument, "\(path): the input %\(name) is a scalar", fix: "export with an (N, C, H, W) example input")
        }
        var shape: [SymDim] = []
        for (d, size) in m.sizes.enumerated() {
            switch size {
            case .int(let n):
                guard n >= 1, n <= ShapeInference.dimensionLimit else {
                    throw PT2ImportError(.shapeMismatch, "\(path): the input %\(name) has dimension \(d) of size \(n); sizes must lie in 1…\(ShapeInference.dimensionLimit)",
                                         fix: "export with a non-empty example input")
                }
                shape.append(.static(n))
            case .expr(let e):
                guard let symbol = size.symbol else {
                    throw PT2ImportError(.unsupportedArgument, "\(path): dimension \(d) of the input %\(name) is the expression \(e.prefix(80)); Kiln takes a plain dynamic dimension",
                                         fix: "export with dynamic_shapes={\"\(name)\": {0: torch.export.Dim(\"batch\", min=2, max=32)}}")
                }
                guard d == 0 else {
                    throw PT2ImportError(.unsupportedArgument, "\(path): dimension \(d) of the input %\(name) is dynamic (\(symbol)); only dimension 0 (the batch) can be dynamic in Kiln",
                                         fix: "export with a static size for dimension \(d): dynamic_shapes={\"\(name)\": {0: torch.export.Dim(\"batch\", min=2, max=32)}}")
                }
                try defineSymbol(symbol, input: name)
                shape.append(.symbol(symbol))
            }
        }
        let irName = uniqueName(name)
        inputs.append(GraphInput(name: irName, shape: shape))
        values[name] = .tensor(GraphValue(name: irName, shape: shape))
    }

    /// The program's own symbol (`s77`) with its range from `range_constraints`.
    private func defineSymbol(_ symbol: String, input: String) throws(PT2ImportError) {
        guard !constraints.contains(where: { $0.symbol == symbol }) else { return }
        guard let r = model.rangeConstraints[symbol] else {
            throw invalidGraph("the input %\(input) uses the symbol \(symbol), which range_constraints does not bound")
        }
        guard let max = r.maxVal else {
            throw PT2ImportError(.unsupportedArgument, "\(path): the input %\(input)'s dynamic dimension \(symbol) has no upper bound; Kiln plans memory for the largest batch",
                                 fix: "export with a bounded Dim: torch.export.Dim(\"batch\", min=2, max=32)")
        }
        let min = Swift.max(r.minVal ?? 1, 1)
        guard min <= max, max <= ShapeInference.dimensionLimit else {
            throw PT2ImportError(.unsupportedArgument, "\(path): \(symbol) ranges over \(r.minVal ?? 1)…\(max); Kiln takes ranges within 1…\(ShapeInference.dimensionLimit)",
                                 fix: "export with torch.export.Dim(\"batch\", min=2, max=32)")
        }
        constraints.append(RangeConstraint(symbol: symbol, dimName: symbol, min: min, max: max))
    }

    /// Compares an imported value's shape with what the archive's `tensor_values` records
    /// (static sizes and plain symbols; expressions are not checked).
    func checkShape(_ name: String, _ value: PT2Value) throws(PT2ImportError) {
        guard case .tensor(let t) = value, let m = graph.tensorValues[name] else { return }
        let recorded: [SymDim?] = m.sizes.map { s in
            switch s {
            case .int(let n): .static(n)
            case .expr: s.symbol.map { .symbol($0) }
            }
        }
        let matches = recorded.count == t.shape.count && zip(recorded, t.shape).allSatisfy { r, d in r == nil || r == d }
        guard matches else {
            let text = "[" + m.sizes.map { s in if case .int(let n) = s { "\(n)" } else { s.symbol ?? "expr" } }.joined(separator: ", ") + "]"
            throw shapeError("Kiln computes the shape \(t.shape.shapeDescription), the archive records \(text)")
        }
    }
}
