import Foundation

/// A value of the ONNX graph during import.
enum ImportValue {
    /// Computed at run time: a graph input or an IR node's output.
    case tensor(GraphValue)
    /// Known now (initializer, Constant, folded).
    case constant(ONNXConstant)
    /// An integer tensor (rank 0 or 1) known except for batch symbols: `Shape(x)` and the
    /// arithmetic torch.onnx.export builds on it.
    case symbolic(shape: [Int], values: [ShapeScalar])
    /// A run-time tensor whose batch is not (only) dimension 0, stored batch-first.
    case moved(BatchMovedTensor)
}

/// Turns an ``ONNXModel`` into an ``ExportedProgram``: checks the graph (names, order,
/// limits), gives symbolic inputs their Dims, folds what is known at import and maps every
/// other node onto Kiln's graph ops.
final class ONNXImporter {
    let model: ONNXModel
    let url: URL
    let limits: ONNXImportLimits
    let reader: ONNXTensorReader
    var path: String { url.displayPath }
    var opset: Int { model.opset }

    /// ONNX value name → what it is.
    var values: [String: ImportValue] = [:]
    /// The IR being built.
    var nodes: [GraphNode] = []
    var inputs: [GraphInput] = []
    var constraints: [RangeConstraint] = []
    /// Lifted constants in order of first use, with their tensors.
    var lifted: [(GraphConstant, Tensor)] = []
    /// ONNX name of a constant → its lifted IR name.
    var liftedNames: [String: String] = [:]
    var names = ImportedGraph()
    /// IR value → the IR node that computed it (for patterns like x · sigmoid(x)).
    var producer: [String: GraphNode] = [:]
    /// The ONNX node being imported (for messages).
    var current: ONNXNode?
    /// Every value name some node or the graph's outputs read.
    let consumed: Set<String>

    init(model: ONNXModel, url: URL, shapes: ONNXShapeRequest, limits: ONNXImportLimits) throws(ONNXImportError) {
        self.model = model
        self.url = url
        self.limits = limits
        reader = ONNXTensorReader(modelURL: url, limits: limits)
        consumed = Set(model.graph.nodes.flatMap(\.inputs) + model.graph.outputs.map(\.name))
        guard model.opset >= 1 else {
            throw ONNXImportError.malformed(ONNXLocation(file: url.displayPath), problem: "the model imports no opset of the default ONNX domain (is the file truncated?)",
                                            remedy: "check the file is a complete .onnx model (onnx.checker.check_model)")
        }
        guard model.graph.nodes.count <= limits.maxNodes else {
            throw ONNXImportError.limitExceeded(ONNXLocation(file: url.displayPath), what: "the graph has \(model.graph.nodes.count) nodes, more than the \(limits.maxNodes) Kiln imports",
                                                limit: .maxNodes, bound: limits.maxNodes, remedy: "split the model")
        }
        try checkNames()
        try checkSupported()
        try defineInitializers()
        try defineInputs(shapes)
    }

    /// Graph inputs that are not initializers (IR < 4 lists initializers as inputs too).
    static func userInputNames(_ m: ONNXModel) -> [String] {
        let inits = Set(m.graph.initializers.map(\.name))
        return m.graph.inputs.map(\.name).filter { !inits.contains($0) }
    }

    func run() throws(ONNXImportError) -> ExportedProgram {
        for node in try ONNXGraphOrder.sorted(model.graph, path: path) {
            current = node
            let outputs = try importNode(node)
            for (name, value) in zip(node.outputs, outputs) where !name.isEmpty { values[name] = value }
        }
        current = nil
        var outputNames: [String] = []
        for o in model.graph.outputs {
            guard let v = values[o.name] else { throw invalidGraph("output \"\(o.name)\" is not computed by any node") }
            switch v {
            case .tensor(let t): outputNames.append(t.name)
            case .moved(let m): throw movedRefusal(m, onnxName: o.name)
            default:
                throw unsupported("output \"\(o.name)\" is a constant (the graph does not depend on its inputs there)",
                                  fix: "return only values computed from the model's inputs")
            }
        }
        guard !outputNames.isEmpty else { throw invalidGraph("the graph has no outputs") }
        return try finish(outputs: outputNames)
    }

    /// Drops nodes nothing reads (dead after folding or fusion), keeps the constants the
    /// remaining nodes read, and validates the program like an exported one.
    private func finish(outputs: [String]) throws(ONNXImportError) -> ExportedProgram {
        let name = url.deletingPathExtension().lastPathComponent
        do {
            return try ImportedGraph.program(model: name.isEmpty ? "onnx" : name, nodes: nodes, inputs: inputs, lifted: lifted,
                                             outputs: outputs, constraints: constraints)
        } catch {
            throw ONNXImportError.malformed(ONNXLocation(file: path), problem: "the imported graph is invalid: \(error.description)",
                                            remedy: "check the model with onnx.checker.check_model(model, full_check=True)")
        }
    }

    private func checkNames() throws(ONNXImportError) {
        var defined = Set<String>()
        func define(_ name: String, _ what: String) throws(ONNXImportError) {
            guard !name.isEmpty else { throw invalidGraph("\(what) has an empty name") }
            guard defined.insert(name).inserted else { throw invalidGraph("the value name \"\(name)\" is defined twice (\(what))") }
        }
        for t in model.graph.initializers { try define(t.name, "initializer") }
        for name in Self.userInputNames(model) { try define(name, "graph input") }
        for node in model.graph.nodes {
            for o in node.outputs where !o.isEmpty { try define(o, "output of node \(node.label)") }
        }
    }

    private func defineInitializers() throws(ONNXImportError) {
        for t in model.graph.initializers {
            values[t.name] = .constant(try reader.read(t, what: "initializer"))
        }
    }

    // MARK: errors located at the current node

    var location: ONNXLocation {
        guard let n = current else { return ONNXLocation(file: path) }
        return ONNXLocation(file: path, node: n.label, opset: opset)
    }

    func invalidGraph(_ m: String) -> ONNXImportError {
        .invalidGraph(location, problem: m, remedy: ONNXGraphOrder.recheck)
    }

    func unsupported(_ m: String, fix: String) -> ONNXImportError {
        .unsupportedFeature(location, problem: m, remedy: fix)
    }

    func shapeError(_ m: String) -> ONNXImportError {
        .shapeMismatch(location, problem: m)
    }
}
