/// Arguments by schema name, and emitting or folding IR nodes.
extension PT2Importer {
    var node: PT2Node { current! }

    /// A readable, unique IR name (control characters and spaces become `_`).
    func uniqueName(_ base: String) -> String { names.uniqueName(base) }

    // MARK: arguments

    /// The argument `name` of the current node; nil when absent (the schema's default applies).
    func arg(_ name: String) -> PT2Argument? { node.inputs.first { $0.name == name }?.arg }

    func value(_ name: String) throws(PT2ImportError) -> PT2Value {
        guard let v = values[name] else { throw invalidGraph("reads %\(name), which no earlier node or input defines") }
        return v
    }

    /// A tensor argument that must be present.
    func tensor(_ name: String) throws(PT2ImportError) -> PT2Value {
        guard let v = try optionalTensor(name) else { throw invalidGraph("needs the tensor argument \(name), which is missing") }
        return v
    }

    /// A tensor argument, nil when absent or None.
    func optionalTensor(_ name: String) throws(PT2ImportError) -> PT2Value? {
        switch arg(name) {
        case nil, .none?: return nil
        case .tensor(let t)?: return try value(t)
        case let other?: throw invalidGraph("argument \(name) is \(other.summary), not a tensor")
        }
    }

    /// A tensor argument that must be known at import (a weight).
    func constant(_ name: String) throws(PT2ImportError) -> PT2Constant {
        guard case .constant(let c) = try tensor(name) else {
            throw unsupported("argument \(name) is computed at run time; Kiln needs it known at import (a parameter or buffer)",
                              fix: "keep \(name) a parameter of the module (nn.Parameter or a registered buffer)")
        }
        return c
    }

    func int(_ name: String, _ fallback: Int) throws(PT2ImportError) -> Int {
        switch arg(name) {
        case nil: return fallback
        case .int(let v)?: return v
        case .symInt(.int(let v))?: return v
        case let other?: throw unsupported("argument \(name) is \(other.summary), not an integer", fix: "export with a constant integer \(name)")
        }
    }

    /// An integer list; a single integer stands for `count` copies (PyTorch's `int[2]`).
    func ints(_ name: String, _ fallback: [Int], count: Int? = nil) throws(PT2ImportError) -> [Int] {
        var v: [Int]
        switch arg(name) {
        case nil, .none?: v = fallback
        case .ints(let x)?: v = x
        case .int(let x)?: v = [x]
        case .symInts(let s)?:
            v = []
            for e in s {
                guard case .int(let x) = e else { throw unsupported("argument \(name) is \(s.map(\.summary)), which depends on a dynamic size", fix: "export with constant \(name)") }
                v.append(x)
            }
        case let other?: throw unsupported("argument \(name) is \(other.summary), not a list of integers", fix: "export with constant \(name)")
        }
        if let count, v.count == 1 { v = Array(repeating: v[0], count: count) }
        if let count, v.count != count { throw unsupported("argument \(name) is \(v), not \(count) values", fix: "Kiln runs 2-D convolutions and pooling") }
        return v
    }

    func double(_ name: String, _ fallback: Double?) throws(PT2ImportError) -> Double? {
        switch arg(name) {
        case nil, .none?: return fallback
        case .float(let v)?: return v
        case .int(let v)?: return Double(v)
        case let other?: throw unsupported("argument \(name) is \(other.summary), not a number", fix: "export with a constant \(name)")
        }
    }

    func string(_ name: String, _ fallback: String) throws(PT2ImportError) -> String {
        switch arg(name) {
        case nil, .none?: return fallback
        case .string(let v)?: return v
        case let other?: throw unsupported("argument \(name) is \(other.summary), not a string", fix: "export with a constant \(name)")
        }
    }

    func bool(_ name: String, _ fallback: Bool) throws(PT2ImportError) -> Bool {
        switch arg(name) {
        case nil, .none?: return fallback
        case .bool(let v)?: return v
        case let other?: throw unsupported("argument \(name) is \(other.summary), not a bool", fix: "export with a constant \(name)")
        }
    }

    /// An axis in -rank..<rank, normalised to 0..<rank.
    func axis(_ a: Int, rank: Int) throws(PT2ImportError) -> Int {
        guard a >= -rank, a < rank else { throw shapeError("dimension \(a) is outside -\(rank)..<\(rank)") }
        return a < 0 ? a + rank : a
    }

    func shape(_ v: PT2Value) -> [SymDim] {
        switch v {
        case .tensor(let t): t.shape
        case .constant(let c): .init(static: c.tensor.shape)
        case .symInt: []
        }
    }

    // MARK: emitting

    /// The graph value of `v`, lifting a constant into the program under its own name.
    func graphValue(_ v: PT2Value) throws(PT2ImportError) -> GraphValue {
        switch v {
        case .tensor(let t): return t
        case .constant(let c):
            let shape = [SymDim](static: c.tensor.shape)
            if let name = liftedNames[c.id] { return GraphValue(name: name, shape: shape) }
            let name = uniqueName(c.name)
            liftedNames[c.id] = name
            lifted.append((GraphConstant(name: name, kind: c.kind, shape: c.tensor.shape), c.tensor))
            return GraphValue(name: name, shape: shape)
        case .symInt: throw unsupported("a dynamic size is used as a tensor", fix: "export a graph computing on tensors only")
        }
    }

    /// Runs `op` on `args`: folded now when every argument is a constant, otherwise emitted
    /// as an IR node named after the node's first output (constants lifted).
    func apply(_ op: GraphOp, _ args: [PT2Value], _ attributes: NodeAttributes = .init()) throws(PT2ImportError) -> PT2Value {
        let base: String = if case .tensor(let n)? = node.outputs.first { n } else { node.name ?? op.rawValue }
        let consts = args.compactMap { v -> PT2Constant? in if case .constant(let c) = v { c } else { nil } }
        if consts.count == args.count {
            let shapes = consts.map { [SymDim](static: $0.tensor.shape) }
            do {
                let shape = try ShapeInference.outputShape(op, attributes, shapes)
                let folded = GraphNode(name: base, op: op, inputs: [], attributes: attributes, shape: shape)
                let t = try GraphInterpreter.execute(folded, consts.map(\.tensor))
                return .constant(PT2Constant(tensor: t, name: base, kind: .parameter, id: "%" + base))
            } catch let e as ShapeInferenceFailure {
                throw shapeError("\(op) on constants \(shapes.map(\.shapeDescription).joined(separator: ", ")): \(e.message)")
            } catch {
                throw shapeError("folding \(op): \(error)")
            }
        }
        var graphArgs: [GraphValue] = []
        for a in args { graphArgs.append(try graphValue(a)) }
        let shape: [SymDim]
        do {
            shape = try ShapeInference.outputShape(op, attributes, graphArgs.map(\.shape))
        } catch {
            throw shapeError("\(op) on \(graphArgs.map(\.shape.shapeDescription).joined(separator: ", ")): \(error.message)")
        }
        let n = GraphNode(name: uniqueName(base), op: op, inputs: graphArgs.map(\.name), attributes: attributes, shape: shape)
        nodes.append(n)
        producer[n.name] = n
        return .tensor(GraphValue(name: n.name, shape: shape))
    }
}
