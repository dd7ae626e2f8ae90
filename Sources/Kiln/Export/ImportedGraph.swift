/// What the importers (ONNX, torch.export) share when they build a program from a foreign
/// graph: readable unique IR names, and assembling the program from the nodes they emitted.
struct ImportedGraph {
    /// IR names handed out so far.
    private var used = Set<String>()

    /// A readable, unique IR name for a foreign value name (whitespace, control characters
    /// and `%` become `_`; at most 200 characters; a clash gets `_1`, `_2`, …).
    mutating func uniqueName(_ foreign: String) -> String {
        var base = String(foreign.unicodeScalars.map { $0.properties.isWhitespace || $0.value < 0x20 || $0 == "%" ? "_" : Character($0) })
        if base.isEmpty { base = "v" }
        if base.count > 200 { base = String(base.prefix(200)) }
        var name = base, k = 0
        while used.contains(name) { k += 1; name = "\(base)_\(k)" }
        used.insert(name)
        return name
    }

    /// The program computing `outputs`: nodes nothing reads are dropped (dead after folding
    /// or fusion), and only the constants the remaining nodes read are kept, in `lifted`'s
    /// order; validated like an exported program.
    static func program(model: String, nodes: [GraphNode], inputs: [GraphInput], lifted: [(GraphConstant, Tensor)],
                        outputs: [String], constraints: [RangeConstraint]) throws(GraphValidationError) -> ExportedProgram {
        var live = Set(outputs)
        var kept: [GraphNode] = []
        for node in nodes.reversed() where live.contains(node.name) {
            kept.append(node)
            live.formUnion(node.inputs)
        }
        kept.reverse()
        let constants = lifted.filter { live.contains($0.0.name) }
        let description = ProgramDescription(
            model: model, graph: Graph(nodes: kept),
            signature: GraphSignature(inputs: inputs, constants: constants.map(\.0), outputs: outputs),
            rangeConstraints: constraints)
        var stateDict: [String: Tensor] = [:]
        for (c, t) in constants { stateDict[c.name] = t }
        return try ExportedProgram(description, stateDict: stateDict)
    }
}
