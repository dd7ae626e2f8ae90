import Kiln

/// Floating-point operations of one run of a graph, counted from its nodes' shapes.
///
/// Convolutions count `2·N·OC·OH·OW·(C/groups)·KH·KW` and linear layers `2·N·in·out` (one
/// multiply and one add per multiply-accumulate, the convention behind "ResNet-18: 1.8
/// GMACs = 3.6 GFLOP"). Bias additions, batch norm, ReLU, residual adds and pooling are
/// bandwidth-bound and left out, as in that convention; their element counts are reported
/// apart in ``otherElements``.
public struct FLOPCount: Sendable, Equatable, CustomStringConvertible {
    /// FLOPs of the convolutions.
    public var convolution: Int
    /// FLOPs of the linear layers.
    public var linear: Int
    /// Output elements of every other op (batch norm, ReLU, add, pooling, flatten).
    public var otherElements: Int

    public init(convolution: Int = 0, linear: Int = 0, otherElements: Int = 0) {
        self.convolution = convolution; self.linear = linear; self.otherElements = otherElements
    }

    /// Convolution plus linear FLOPs: the numerator of effective GFLOP/s.
    public var total: Int { convolution + linear }

    /// Effective GFLOP/s of a run of these FLOPs that took `milliseconds`.
    public func gflops(milliseconds: Double) -> Double {
        milliseconds > 0 ? Double(total) / (milliseconds * 1e6) : 0
    }

    /// `3.628 GFLOP (conv 3.627, linear 0.001)`.
    public var description: String {
        func g(_ n: Int) -> String { String(format: "%.3f", Double(n) / 1e9) }
        return "\(g(total)) GFLOP (conv \(g(convolution)), linear \(g(linear)))"
    }

    /// Counts the FLOPs of `graph` with its symbols bound (e.g. `["s0": 32]` for batch 32).
    ///
    /// Weight shapes come from the signature's constants: conv `(OC, C/groups, KH, KW)`,
    /// linear `(out, in)`; output shapes from the nodes.
    /// - Throws: ``FLOPCountError`` when a node's shape has an unbound symbol or its weight is
    ///   not a constant of the expected rank.
    public static func count(_ graph: Graph, signature: GraphSignature, bindings: [String: Int]) throws(FLOPCountError) -> FLOPCount {
        let weights = Dictionary(signature.constants.map { ($0.name, $0.shape) }, uniquingKeysWith: { a, _ in a })
        var result = FLOPCount()
        // Last (static) dimension of every value, for matmul's inner size.
        var inner: [String: Int] = [:]
        for i in signature.inputs { inner[i.name] = i.shape.last?.staticValue }
        for n in graph.nodes { inner[n.name] = n.shape.last?.staticValue }
        for node in graph.nodes {
            guard let out = node.shape.resolved(bindings) else {
                throw .unboundSymbol(node: node.name, shape: node.shape.shapeDescription, bindings: bindings)
            }
            let outElements = out.reduce(1, *)
            switch node.op {
            case .conv2d:
                // y: (N, OC, OH, OW), w: (OC, C/groups, KH, KW): each output element is a dot
                // product of length (C/groups)·KH·KW.
                guard node.inputs.count >= 2, let w = weights[node.inputs[1]], w.count == 4 else {
                    throw .weightNotConstant(node: node.name, expectedRank: 4)
                }
                result.convolution += 2 * outElements * w[1] * w[2] * w[3]
            case .linear:
                // y: (N, out), w: (out, in).
                guard node.inputs.count >= 2, let w = weights[node.inputs[1]], w.count == 2 else {
                    throw .weightNotConstant(node: node.name, expectedRank: 2)
                }
                result.linear += 2 * outElements * w[1]
            case .matmul:
                // y: (…, M, N) from a: (…, M, K).
                let k = inner[node.inputs[0]] ?? weights[node.inputs[0]]?.last ?? 0
                result.linear += 2 * outElements * k
            default:
                result.otherElements += outElements
            }
        }
        return result
    }
}

extension ExportedProgram {
    /// The FLOPs of one run at batch `batch` (every symbol of the program bound to it: Kiln
    /// exports one symbol, the batch). See ``FLOPCount``.
    public func flops(batch: Int) throws(FLOPCountError) -> FLOPCount {
        let bindings = Dictionary(rangeConstraints.map { ($0.symbol, batch) }, uniquingKeysWith: { a, _ in a })
        return try FLOPCount.count(graph, signature: signature, bindings: bindings)
    }
}

/// A graph whose FLOPs cannot be counted.
public enum FLOPCountError: KilnError, Equatable {
    /// A node's output shape uses a symbol with no binding.
    case unboundSymbol(node: String, shape: String, bindings: [String: Int])
    /// A conv/linear node's weight is not a lifted constant of the op's rank.
    case weightNotConstant(node: String, expectedRank: Int)

    public var failureClass: FailureClass { .shape }

    public var description: String {
        switch self {
        case let .unboundSymbol(node, shape, bindings):
            "cannot count FLOPs: node %\(node) has shape \(shape) and the bindings are \(bindings.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ", "))"
        case let .weightNotConstant(node, rank):
            "cannot count FLOPs: node %\(node)'s weight is not a constant of rank \(rank)"
        }
    }

    public var suggestion: String? {
        switch self {
        case .unboundSymbol: "Suggested fix: bind every symbol of the program's range constraints (program.flops(batch:) binds them all)"
        case .weightNotConstant: "Suggested fix: count a graph from export(...), whose weights are lifted constants"
        }
    }
}
