import Foundation

/// A value of the exported graph during import.
enum PT2Value {
    /// Computed at run time: a user input or an IR node's output.
    case tensor(GraphValue)
    /// Known now: a weight, buffer or tensor constant, or a value folded from them.
    case constant(PT2Constant)
    /// A symbolic integer (`sym_size`): a dimension of a run-time tensor.
    case symInt(SymDim)
}

/// A tensor known at import, with the name it takes when lifted into the program.
struct PT2Constant {
    var tensor: Tensor
    /// The state-dict key (`layer1.0.conv1.weight`), or the node that folded it.
    var name: String
    var kind: GraphConstant.Kind
    /// Tells constants apart when lifting: the state-dict key, or `%` and the folding node.
    var id: String
    /// For a folded 2-D transpose (`aten.permute(w, [1, 0])`, `aten.t`): the constant it
    /// transposes, so `addmm` can take the weight back as `linear` stores it.
    var transposeOf: [PT2Constant] = []
}

/// Turns a `torch.export` graph into an ``ExportedProgram``: checks the schema version and
/// every operator first, gives user inputs the program's own symbols and ranges, loads the
/// weights the graph reads and maps each node onto Kiln's graph ops.
final class PT2Importer {
    let archive: PT2Archive
    let model: PT2Model
    let weights: PT2Weights
    var path: String { archive.path }
    var graph: PT2Graph { model.graphModule.graph }

    var values: [String: PT2Value] = [:]
    var nodes: [GraphNode] = []
    var inputs: [GraphInput] = []
    var constraints: [RangeConstraint] = []
    /// Lifted constants in order of first use.
    var lifted: [(GraphConstant, Tensor)] = []
    /// ``PT2Constant/id`` → its lifted IR name.
    var liftedNames: [String: String] = [:]
    var names = ImportedGraph()
    /// IR value → the IR node computing it (for x · sigmoid(x)).
    var producer: [String: GraphNode] = [:]
    /// Every value name some node or the graph's outputs read.
    let consumed: Set<String>
    /// The node being imported (for messages and arguments).
    var current: PT2Node?

    init(archive: PT2Archive) throws(PT2ImportError) {
        self.archive = archive
        let (name, model) = try Self.readModel(archive)
        self.model = model
        guard model.graphModule.graph.nodes.count <= archive.limits.maxNodes else {
            throw PT2ImportError(.limitExceeded, "\(archive.path): the graph has \(model.graphModule.graph.nodes.count) nodes, more than the \(archive.limits.maxNodes) Kiln imports",
                                 fix: "pass PT2ImportLimits with a larger maxNodes if the file is trusted")
        }
        var reads = Set<String>()
        for n in model.graphModule.graph.nodes { for a in n.inputs { reads.formUnion(Self.names(a.arg)) } }
        for o in model.graphModule.graph.outputs { reads.formUnion(Self.names(o)) }
        consumed = reads
        try Self.checkSupported(model, path: archive.path)
        weights = try PT2Weights(archive, model: name)
        try defineInputs()
    }

    /// The archive's model: `models/model.json` (or its only `models/*.json`), format checked.
    static func readModel(_ archive: PT2Archive) throws(PT2ImportError) -> (String, PT2Model) {
        if let format = try archive.text("archive_format"), format != "pt2" {
            throw PT2ImportError(.unsupportedVersion, "\(archive.path): \(archive.prefix)archive_format is \"\(format.prefix(16))\"; Kiln reads \"pt2\" archives (torch.export.save)",
                                 fix: "save the program with torch.export.save(ep, \"model.pt2\")")
        }
        let models = archive.members.keys.filter { $0.hasPrefix(archive.prefix + "models/") && $0.hasSuffix(".json") }
            .map { String($0.dropFirst(archive.prefix.count + "models/".count).dropLast(".json".count)) }
            .filter { !$0.isEmpty && !$0.contains("/") }.sorted()
        guard let name = models.contains("model") ? "model" : (models.count == 1 ? models[0] : nil) else {
            throw PT2ImportError(.malformed, models.isEmpty ? "\(archive.path): the archive has no \(archive.prefix)models/<model>.json (an AOTInductor package holds compiled code, not a program)"
                                            : "\(archive.path): the archive holds several programs (\(models.joined(separator: ", "))) and none is named \"model\"",
                                 fix: "save one program with torch.export.save(ep, \"model.pt2\")")
        }
        return (name, try PT2JSON.decode(PT2Model.self, member: "models/\(name).json", from: archive, what: "torch.export program"))
    }

    /// Tensor and symbol names an argument reads.
    static func names(_ a: PT2Argument) -> [String] {
        switch a {
        case .tensor(let n): [n]
        case .tensors(let n): n
        case .optionalTensors(let n): n.compactMap { $0 }
        case .symInt(.name(let n)): [n]
        case .symInts(let s): s.compactMap { if case .name(let n) = $0 { n } else { nil } }
        default: []
        }
    }

    func run() throws(PT2ImportError) -> ExportedProgram {
        for node in graph.nodes {
            current = node
            let outputs = try importNode(node)
            try bind(node, outputs)
        }
        current = nil
        var outputNames: [String] = []
        for spec in model.graphModule.signature.outputSpecs {
            guard case .userOutput(let arg) = spec else {
                if case .other(let kind) = spec {
                    throw unsupported("the program has a \(kind) output (a training graph mutating buffers or returning gradients)",
                                      fix: "export the model in eval mode: model.eval() before torch.export.export")
                }
                continue
            }
            guard case .tensor(let name) = arg else { throw unsupported("an output is \(arg.summary), not a tensor", fix: "return only tensors from forward") }
            guard let v = values[name] else { throw invalidGraph("the output %\(name) is not computed by any node") }
            guard case .tensor(let t) = v else {
                throw unsupported("the output %\(name) does not depend on the inputs (it is a constant)", fix: "return only values computed from the model's inputs")
            }
            outputNames.append(t.name)
        }
        guard !outputNames.isEmpty else { throw invalidGraph("the program has no outputs") }
        return try finish(outputs: outputNames)
    }

    /// Names the node's outputs; an in-place op (`relu_`, `add_`) also rebinds the tensor it
    /// mutated, so later readers of that name see the new value.
    private func bind(_ node: PT2Node, _ outputs: [PT2Value?]) throws(PT2ImportError) {
        for (k, arg) in node.outputs.enumerated() {
            let value = k < outputs.count ? outputs[k] : nil
            switch arg {
            case .tensor(let name), .symInt(.name(let name)):
                guard values[name] == nil else { throw invalidGraph("the value %\(name) is defined twice") }
                if let value { values[name] = value; try checkShape(name, value) }
                else if consumed.contains(name) {
                    throw unsupported("output \(k) (%\(name)) is used, but Kiln computes only the first output of \(op(node))",
                                      fix: "export the model in eval mode without return_indices or training statistics")
                }
            case .none: break
            default: throw unsupported("an output of kind \(arg.summary)", fix: "export a CNN whose nodes return tensors")
            }
        }
        let parts = op(node).split(separator: ".")
        if parts.count == 3, parts[1].hasSuffix("_"), !parts[1].hasPrefix("_"), let first = node.inputs.first, case .tensor(let mutated) = first.arg,
           case .tensor(let out)? = node.outputs.first, let v = values[out] {
            values[mutated] = v
        }
    }

    /// Drops nodes nothing reads (a SiLU's sigmoid, unused outputs), keeps the constants the
    /// remaining nodes read, and validates the program like an exported one.
    private func finish(outputs: [String]) throws(PT2ImportError) -> ExportedProgram {
        let name = archive.url.deletingPathExtension().lastPathComponent
        do {
            return try ImportedGraph.program(model: name.isEmpty ? "pt2" : name, nodes: nodes, inputs: inputs, lifted: lifted,
                                             outputs: outputs, constraints: constraints)
        } catch {
            throw PT2ImportError(.invalidGraph, "\(path): the imported graph is invalid: \(error.description)",
                                 fix: "check the program loads in PyTorch (torch.export.load) and save it again")
        }
    }

    // MARK: errors located at the current node

    func op(_ n: PT2Node) -> String {
        n.target.hasPrefix("torch.ops.") ? String(n.target.dropFirst("torch.ops.".count)) : n.target
    }

    var location: String {
        guard let n = current else { return path }
        let out: String = if case .tensor(let name)? = n.outputs.first { name } else { n.name ?? "?" }
        return "\(path): node %\(out) (\(op(n)))"
    }

    func invalidGraph(_ m: String) -> PT2ImportError {
        PT2ImportError(.invalidGraph, "\(location): \(m)", fix: "check the program loads in PyTorch (torch.export.load) and save it again")
    }

    func unsupported(_ m: String, fix: String) -> PT2ImportError {
        PT2ImportError(.unsupportedArgument, "\(location): \(m)", fix: fix)
    }

    func shapeError(_ m: String) -> PT2ImportError {
        PT2ImportError(.shapeMismatch, "\(location): \(m)", fix: "check the program runs in PyTorch (torch.export.load(path).module()(x)) and save it again")
    }
}
