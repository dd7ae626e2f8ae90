/// A graph that breaks an invariant: an undefined value, a duplicate name, a shape that
/// contradicts its op, a symbol without a range.
struct GraphValidationError: Error, Sendable, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// Checks a graph, its signature and range constraints against each other: every name is
/// defined once and before use, every symbol has a range, and every node's recorded shape
/// is what its op infers from its inputs. Run on export and on every load.
enum GraphValidator {
    static func validate(_ graph: Graph, _ signature: GraphSignature, _ constraints: [RangeConstraint]) throws(GraphValidationError) {
        var symbols = Set<String>()
        for c in constraints {
            guard symbols.insert(c.symbol).inserted else { throw .init("symbol \(c.symbol) has two range constraints") }
            guard c.min >= 1, c.min <= c.max, c.max <= ShapeInference.dimensionLimit else {
                throw .init("range constraint \(c) is empty, starts below 1 or exceeds \(ShapeInference.dimensionLimit)")
            }
        }
        var shapes: [String: [SymDim]] = [:]
        func define(_ name: String, _ shape: [SymDim], _ what: String) throws(GraphValidationError) {
            guard !name.isEmpty else { throw .init("\(what) has an empty name") }
            guard shapes[name] == nil else { throw .init("the name %\(name) is defined twice") }
            for d in shape {
                switch d {
                case .static(let n) where n < 0 || n > ShapeInference.dimensionLimit:
                    throw .init("\(what) %\(name) has a dimension outside 0…\(ShapeInference.dimensionLimit) in \(shape.shapeDescription)")
                case .symbol(let s) where !symbols.contains(s):
                    throw .init("\(what) %\(name) uses the symbol \(s), which has no range constraint")
                default: break
                }
            }
            // The kernels index a sample's elements with 32-bit ints: a tampered padding or size
            // would otherwise overflow them (or ask for terabytes) instead of failing here.
            let perRow = ShapeInference.elementsPerRow(shape)
            if (perRow ?? Int.max) > ShapeInference.dimensionLimit {
                throw .init("\(what) %\(name) has \(perRow.map { "\($0)" } ?? "more than \(Int.max)") elements per batch row in \(shape.shapeDescription), more than the \(ShapeInference.dimensionLimit) Kiln's kernels can index")
            }
            shapes[name] = shape
        }
        guard !signature.inputs.isEmpty else { throw .init("the signature has no user inputs") }
        for input in signature.inputs {
            try define(input.name, input.shape, "input")
            // Guards bound symbols to 1…max; a static 0 would let an empty tensor reach the kernels.
            if let d = input.shape.firstIndex(of: .static(0)) { throw .init("input %\(input.name): dimension \(d) is 0 (an empty input)") }
            for (i, d) in input.shape.enumerated() where i > 0 && d.symbolName != nil {
                throw .init("input %\(input.name): only dimension 0 may be symbolic, dimension \(i) is \(d)")
            }
        }
        for c in signature.constants { try define(c.name, .init(static: c.shape), c.kind.rawValue) }
        for node in graph.nodes {
            for input in node.inputs where shapes[input] == nil {
                throw .init("node %\(node.name): input %\(input) is not defined before it (dangling input)")
            }
            let inferred: [SymDim]
            do {
                inferred = try ShapeInference.outputShape(node.op, node.attributes, node.inputs.map { shapes[$0]! })
            } catch {
                throw .init("node %\(node.name) (\(node.op)): \(error.message)")
            }
            guard inferred == node.shape else {
                throw .init("node %\(node.name) (\(node.op)): its recorded shape \(node.shape.shapeDescription) contradicts the shape \(inferred.shapeDescription) inferred from its inputs")
            }
            try define(node.name, node.shape, "node")
        }
        guard !signature.outputs.isEmpty else { throw .init("the signature has no outputs") }
        for output in signature.outputs where shapes[output] == nil {
            throw .init("output %\(output) is not defined by the graph")
        }
    }
}
