/// A value flowing through a graph under construction: its name and symbolic shape.
public struct GraphValue: Hashable, Sendable {
    public let name: String
    public let shape: [SymDim]
}

/// Records a model's forward pass as a ``Graph`` over symbolic shapes. Modules describe
/// their forward pass to it through ``Traceable/trace(_:in:)``, calling ``trace(_:_:)`` for
/// their children, ``constant(_:named:of:)`` for their parameters and ``node(_:_:attributes:for:)``
/// for the ops they run.
public final class GraphBuilder {
    /// Where a symbol comes from: which input dimension and the user's Dim.
    struct SymbolOrigin { let input: String, dimension: Int, dim: Dim, shapes: DynamicShapes }

    private(set) var nodes: [GraphNode] = []
    private var usedNames: Set<String>
    private var nameCounts: [String: Int] = [:]
    private var constants: [String: (GraphConstant, Tensor)] = [:]
    private let paths: [ObjectIdentifier: String]
    private let symbolOrigins: [String: SymbolOrigin]
    private var modulePath = ""

    /// `root`'s modules get paths relative to it (so keys equal its state dict's);
    /// `inputNames` are reserved.
    init(root: Module, inputNames: [String], symbolOrigins: [String: SymbolOrigin]) {
        var paths: [ObjectIdentifier: String] = [:]
        func walk(_ m: Module, _ path: String) {
            paths[ObjectIdentifier(m)] = path
            for (name, child) in m.children { walk(child, Module.join(path, name)) }
        }
        walk(root, "")
        self.paths = paths
        self.symbolOrigins = symbolOrigins
        usedNames = Set(inputNames)
    }

    /// The dotted path of `module` relative to the exported root ("" for the root; the
    /// module's own ``Module/path`` when it is not a registered child, like ResNet's flatten).
    public func path(of module: Module) -> String { paths[ObjectIdentifier(module)] ?? module.path }

    /// Traces `module`'s forward pass on `x` into the graph.
    /// - Throws: ``ExportError/notTraceable(module:type:)`` when the module is not ``Traceable``.
    public func trace(_ module: Module, _ x: GraphValue) throws -> GraphValue {
        let path = path(of: module)
        guard let traceable = module as? Traceable else {
            throw ExportError.notTraceable(module: path, type: "\(type(of: module))")
        }
        let outer = modulePath
        modulePath = path
        defer { modulePath = outer }
        return try traceable.trace(x, in: self)
    }

    /// Lifts `parameter` (the module's parameter or buffer `local`) as a named constant,
    /// keyed like the state dict: `layer1.0.conv1.weight`.
    public func constant(_ parameter: Parameter, named local: String, of module: Module) -> GraphValue {
        let key = Module.join(path(of: module), local)
        if constants[key] == nil {
            let kind: GraphConstant.Kind = parameter.kind == .parameter ? .parameter : .buffer
            constants[key] = (GraphConstant(name: key, kind: kind, shape: parameter.shape), parameter.value)
        }
        return GraphValue(name: key, shape: .init(static: parameter.shape))
    }

    /// Appends a node running `op` on `inputs`, named after `module`'s path with dots as
    /// underscores (`layer1_0_conv1`; a repeated name gets `_1`, `_2`, … as in torch.export).
    /// Modules outside the tree name the node after the op.
    public func node(_ op: GraphOp, _ inputs: [GraphValue], attributes: NodeAttributes = .init(), for module: Module) throws -> GraphValue {
        let path = path(of: module)
        return try node(op, inputs, attributes: attributes, name: path.isEmpty ? op.rawValue : path.replacingOccurrences(of: ".", with: "_"))
    }

    /// Appends a node running `op` on `inputs`, named `name` (made unique with `_1`, `_2`, …).
    public func node(_ op: GraphOp, _ inputs: [GraphValue], attributes: NodeAttributes = .init(), name: String) throws -> GraphValue {
        let shape: [SymDim]
        do {
            shape = try ShapeInference.outputShape(op, attributes, inputs.map(\.shape))
        } catch {
            if case let .symbolic(symbol, _, _, _) = error, let origin = symbolOrigins[symbol] {
                var fixed = origin.shapes
                fixed[origin.input]?[origin.dimension] = nil
                if fixed[origin.input]?.isEmpty == true { fixed[origin.input] = nil }
                throw ExportError.dimensionMustBeStatic(input: origin.input, dimension: origin.dimension, dim: origin.dim,
                                                        op: op, module: modulePath, fixed: fixed)
            }
            throw ExportError.shapeMismatch(module: modulePath, op: op, message: error.message)
        }
        if (ShapeInference.elementsPerRow(shape) ?? Int.max) > ShapeInference.dimensionLimit {
            throw ExportError.tooLarge(what: "\(op) at \(ExportError.place(modulePath)) would output", shape: shape,
                                       elementsPerRow: ShapeInference.elementsPerRow(shape))
        }
        let unique = uniqueName(name)
        nodes.append(GraphNode(name: unique, op: op, inputs: inputs.map(\.name), attributes: attributes, shape: shape))
        return GraphValue(name: unique, shape: shape)
    }

    private func uniqueName(_ base: String) -> String {
        var name = base
        while usedNames.contains(name) {
            let k = nameCounts[base, default: 0] + 1
            nameCounts[base] = k
            name = "\(base)_\(k)"
        }
        usedNames.insert(name)
        return name
    }

    /// The lifted constants in the root's registration order, parameters before buffers,
    /// with their values.
    func liftedConstants(root: Module) -> [(GraphConstant, Tensor)] {
        var ordered: [(GraphConstant, Tensor)] = []
        var seen = Set<String>()
        func walk(_ m: Module) {
            for (local, _) in m.localParameters {
                let key = Module.join(path(of: m), local)
                if let c = constants[key], seen.insert(key).inserted { ordered.append(c) }
            }
            for (_, child) in m.children { walk(child) }
        }
        walk(root)
        // Constants of modules outside the tree, in name order.
        for key in constants.keys.sorted() where !seen.contains(key) { ordered.append(constants[key]!) }
        return ordered.filter { $0.0.kind == .parameter } + ordered.filter { $0.0.kind == .buffer }
    }
}
