/// Operands, attributes, and emitting or folding IR nodes.
extension ONNXImporter {
    /// A readable, unique IR name for an ONNX value name (control characters and spaces
    /// become `_`; a clash gets `_1`, `_2`, …).
    func uniqueName(_ onnx: String) -> String { names.uniqueName(onnx) }

    var node: ONNXNode { current! }

    /// Input `i` of the current node, nil when absent or omitted ("").
    func input(_ i: Int) throws(ONNXImportError) -> ImportValue? {
        guard i < node.inputs.count, !node.inputs[i].isEmpty else { return nil }
        guard let v = values[node.inputs[i]] else { throw invalidGraph("input \"\(node.inputs[i])\" is not defined before the node") }
        return v
    }

    func required(_ i: Int) throws(ONNXImportError) -> ImportValue {
        guard let v = try input(i) else { throw invalidGraph("needs input \(i), which is missing") }
        return v
    }

    /// Input `i` as a run-time value; constants are lifted into the program's state dict.
    func tensorInput(_ i: Int) throws(ONNXImportError) -> GraphValue { try tensor(required(i), onnxName: node.inputs[i]) }

    func tensor(_ v: ImportValue, onnxName: String) throws(ONNXImportError) -> GraphValue {
        switch v {
        case .tensor(let t): return t
        case .constant(let c): return lift(c, onnxName: onnxName)
        case .symbolic:
            throw unsupported("\"\(onnxName)\" is shape arithmetic on the symbolic batch, used as data",
                              fix: "Kiln folds shape arithmetic only into shapes (Reshape, Expand, Slice); re-export with a static batch or simplify the model (onnxsim)")
        case .moved(let m): throw movedRefusal(m, onnxName: onnxName)
        }
    }

    func lift(_ c: ONNXConstant, onnxName: String) -> GraphValue {
        // Keyed by content too: a handler may pass a transformed constant under the input's name.
        var h = Hasher()
        for v in c.floatValues { h.combine(v.bitPattern) }
        let key = onnxName + "#\(c.shape)#\(h.finalize())"
        if let name = liftedNames[key] { return GraphValue(name: name, shape: .init(static: c.shape)) }
        let name = uniqueName(onnxName)
        liftedNames[key] = name
        lifted.append((GraphConstant(name: name, kind: .parameter, shape: c.shape), c.tensor))
        return GraphValue(name: name, shape: .init(static: c.shape))
    }

    func constantInput(_ i: Int) throws(ONNXImportError) -> ONNXConstant? {
        if case .constant(let c)? = try input(i) { return c }
        return nil
    }

    /// Input `i`, which must be known at import (weights, shapes, axes).
    func requireConstant(_ i: Int, _ what: String) throws(ONNXImportError) -> ONNXConstant {
        guard let v = try input(i) else { throw invalidGraph("needs input \(i) (\(what)), which is missing") }
        guard case .constant(let c) = v else {
            throw unsupported("input \(i) (\(what), \"\(node.inputs[i])\") must be known at import (an initializer or constant), but is computed at run time",
                              fix: "export the model with constant \(what) (e.g. torch.onnx.export(..., do_constant_folding=True))")
        }
        return c
    }

    /// An integer input (shape, axes, pads, …) whose elements may be batch symbols.
    func symbolicInts(_ v: ImportValue) -> [ShapeScalar]? {
        switch v {
        case .constant(let c): return c.intValues.map { .static($0) }
        case .symbolic(_, let values): return values
        case .tensor, .moved: return nil
        }
    }

    func staticInts(_ i: Int, _ what: String) throws(ONNXImportError) -> [Int] { try requireConstant(i, what).intValues }

    // MARK: attributes

    func int(_ name: String, _ fallback: Int) throws(ONNXImportError) -> Int {
        switch node.attributes[name] {
        case nil: return fallback
        case .int(let v)?: return v
        default: throw unsupported("attribute \(name) must be an integer", fix: "re-export the model with a valid \(name)")
        }
    }

    func float(_ name: String, _ fallback: Float) throws(ONNXImportError) -> Float {
        switch node.attributes[name] {
        case nil: return fallback
        case .float(let v)?: return v
        case .int(let v)?: return Float(v)
        default: throw unsupported("attribute \(name) must be a float", fix: "re-export the model with a valid \(name)")
        }
    }

    func ints(_ name: String) throws(ONNXImportError) -> [Int]? {
        switch node.attributes[name] {
        case nil: return nil
        case .ints(let v)?: return v
        case .int(let v)?: return [v]
        default: throw unsupported("attribute \(name) must be a list of integers", fix: "re-export the model with a valid \(name)")
        }
    }

    func string(_ name: String, _ fallback: String) throws(ONNXImportError) -> String {
        switch node.attributes[name] {
        case nil: return fallback
        case .string(let v)?: return v
        default: throw unsupported("attribute \(name) must be a string", fix: "re-export the model with a valid \(name)")
        }
    }

    /// An axis in -rank..<rank, normalised to 0..<rank.
    func axis(_ a: Int, rank: Int) throws(ONNXImportError) -> Int {
        guard a >= -rank, a < rank else { throw shapeError("axis \(a) is outside -\(rank)..<\(rank)") }
        return a < 0 ? a + rank : a
    }

    // MARK: emitting

    /// Appends an IR node named after the current node's output `output` (or `suffix`ed),
    /// inferring its shape.
    @discardableResult
    func emit(_ op: GraphOp, _ args: [GraphValue], _ attributes: NodeAttributes = .init(), output: Int = 0, suffix: String = "") throws(ONNXImportError) -> GraphValue {
        let shape: [SymDim]
        do {
            shape = try ShapeInference.outputShape(op, attributes, args.map(\.shape))
        } catch {
            throw shapeError("\(op) on \(args.map(\.shape.shapeDescription).joined(separator: ", ")): \(error.message)")
        }
        let base = output < node.outputs.count && !node.outputs[output].isEmpty ? node.outputs[output] : (node.name.isEmpty ? node.opType : node.name)
        let n = GraphNode(name: uniqueName(base + suffix), op: op, inputs: args.map(\.name), attributes: attributes, shape: shape)
        nodes.append(n)
        producer[n.name] = n
        return GraphValue(name: n.name, shape: shape)
    }

    /// Runs `op` on `args`: folded now when every argument is a float constant, otherwise
    /// emitted (constants lifted).
    func apply(_ op: GraphOp, _ args: [ImportValue], _ attributes: NodeAttributes = .init(), output: Int = 0, suffix: String = "") throws(ONNXImportError) -> ImportValue {
        let consts = args.compactMap { v -> ONNXConstant? in if case .constant(let c) = v { c } else { nil } }
        if consts.count == args.count {
            let shapes = consts.map { [SymDim](static: $0.shape) }
            do {
                let shape = try ShapeInference.outputShape(op, attributes, shapes)
                let folded = GraphNode(name: "fold", op: op, inputs: [], attributes: attributes, shape: shape)
                return .constant(ONNXConstant(try GraphInterpreter.execute(folded, consts.map(\.tensor))))
            } catch let e as ShapeInferenceFailure {
                throw shapeError("\(op) on constants \(shapes.map(\.shapeDescription).joined(separator: ", ")): \(e.message)")
            } catch {
                throw shapeError("folding \(op): \(error)")
            }
        }
        var graphArgs: [GraphValue] = []
        for (k, a) in args.enumerated() {
            graphArgs.append(try tensor(a, onnxName: k < node.inputs.count ? node.inputs[k] : node.opType + "_const"))
        }
        return .tensor(try emit(op, graphArgs, attributes, output: output, suffix: suffix))
    }
}
