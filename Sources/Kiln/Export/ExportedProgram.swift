/// A model captured as one explicit graph with its weights, like `torch.export.ExportedProgram`:
/// the ``graph`` (ops with symbolic output shapes), its ``signature`` (user inputs,
/// parameters and buffers lifted as named constants, outputs), the ``stateDict`` and the
/// ``rangeConstraints`` of its symbols.
///
/// Run it with ``run(_:)`` (a graph interpreter on the eager kernels, guarded by
/// ``guards``), print it for a listing, ``save(to:)`` it to a `.kep` file and load it with
/// ``init(contentsOf:)``.
public struct ExportedProgram: Sendable {
    /// The exported model's name, e.g. "resnet18".
    public let modelName: String
    public let graph: Graph
    public let signature: GraphSignature
    /// The range of every symbol in the graph.
    public let rangeConstraints: [RangeConstraint]
    /// The lifted parameters and buffers by name (the signature's constants).
    public let stateDict: [String: Tensor]
    /// FNV-1a 64 (16 hex digits) of the canonical JSON of the graph, signature and range
    /// constraints (not the weights): identifies the graph a compiled library was built from.
    public let graphHash: String
    /// The run-time input checks.
    public let guards: InputGuards

    var programDescription: ProgramDescription {
        ProgramDescription(model: modelName, graph: graph, signature: signature, rangeConstraints: rangeConstraints)
    }

    /// Validates the parts against each other.
    init(_ d: ProgramDescription, stateDict: [String: Tensor]) throws(GraphValidationError) {
        try GraphValidator.validate(d.graph, d.signature, d.rangeConstraints)
        for c in d.signature.constants {
            guard let t = stateDict[c.name] else { throw .init("constant %\(c.name) has no tensor") }
            guard t.shape == c.shape else { throw .init("constant %\(c.name) has shape \(t.shape), the signature says \(c.shape)") }
        }
        modelName = d.model
        graph = d.graph
        signature = d.signature
        rangeConstraints = d.rangeConstraints
        self.stateDict = stateDict
        graphHash = d.hash
        guards = InputGuards(inputs: d.signature.inputs, rangeConstraints: d.rangeConstraints)
    }

    /// Runs the program on `inputs` (in signature order) and returns its outputs.
    ///
    /// Guards check the inputs first: count, rank, static dimensions, and symbolic
    /// dimensions within `1...max` (a range's `min` constrains export only).
    /// - Throws: ``InputGuardError`` when an input does not fit.
    /// - Parameter checkFinite: refuse inputs holding NaN or ±Inf with
    ///   ``NonFiniteInputError`` (one pass over each input) instead of computing NaN outputs.
    public func run(_ inputs: [Tensor], checkFinite: Bool = false) throws -> [Tensor] {
        let bindings = try guards.check(inputs)
        if checkFinite { try guards.checkFinite(inputs) }
        return try GraphInterpreter.run(graph, signature: signature, constants: stateDict, inputs: inputs, bindings: bindings)
    }

    /// Same as ``run(_:)``.
    public func callAsFunction(_ inputs: [Tensor]) throws -> [Tensor] { try run(inputs) }

    /// Runs a program of one input and one output.
    public func callAsFunction(_ x: Tensor) throws -> Tensor {
        let outputs = try run([x])
        guard outputs.count == 1 else {
            throw KilnInternalError("program(x) needs a program with one output, this one has \(outputs.count); use run(_:)")
        }
        return outputs[0]
    }

    /// The state dict in signature order (parameters, then buffers).
    public var orderedStateDict: [(String, Tensor)] { signature.constants.map { ($0.name, stateDict[$0.name]!) } }
}
