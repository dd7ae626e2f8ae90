/// A user input of a graph: its name (`x`) and symbolic shape (`[s0, 3, 224, 224]`).
public struct GraphInput: Hashable, Sendable, Codable {
    public var name: String
    public var shape: [SymDim]
    public init(name: String, shape: [SymDim]) { self.name = name; self.shape = shape }
}

/// A parameter or buffer lifted out of the model as a named constant input of the graph,
/// named by its torchvision state-dict key (`layer1.0.conv1.weight`).
public struct GraphConstant: Hashable, Sendable, Codable {
    /// Learnable parameter or buffer (running statistics), as in PyTorch's graph signature.
    public enum Kind: String, Hashable, Sendable, Codable { case parameter, buffer }
    public var name: String
    public var kind: Kind
    public var shape: [Int]
    public init(name: String, kind: Kind, shape: [Int]) { self.name = name; self.kind = kind; self.shape = shape }
}

/// What goes in and out of a graph, like `torch.export.ExportGraphSignature`.
public struct GraphSignature: Hashable, Sendable, Codable {
    /// User inputs, in call order.
    public var inputs: [GraphInput]
    /// Lifted parameters (first, in the model's registration order) and buffers.
    public var constants: [GraphConstant]
    /// Names of the values the program returns, in order.
    public var outputs: [String]

    public init(inputs: [GraphInput], constants: [GraphConstant], outputs: [String]) {
        self.inputs = inputs; self.constants = constants; self.outputs = outputs
    }

    /// The lifted learnable parameters.
    public var parameters: [GraphConstant] { constants.filter { $0.kind == .parameter } }
    /// The lifted buffers.
    public var buffers: [GraphConstant] { constants.filter { $0.kind == .buffer } }
}

/// The range of a symbol: the program was exported for sizes `min...max` of the dimension
/// the user named ``dimName``. At run time sizes `1...max` are accepted (see ``Dim``).
public struct RangeConstraint: Hashable, Sendable, Codable, CustomStringConvertible {
    /// The symbol, e.g. `s0`.
    public var symbol: String
    /// The user's Dim name, e.g. "batch".
    public var dimName: String
    public var min: Int
    public var max: Int

    public init(symbol: String, dimName: String, min: Int, max: Int) {
        self.symbol = symbol; self.dimName = dimName; self.min = min; self.max = max
    }

    enum CodingKeys: String, CodingKey { case symbol, dimName = "dim_name", min, max }

    /// The Dim the user wrote.
    public var dim: Dim { Dim(dimName, min: min, max: max) }

    /// `s0: 2…32 (Dim "batch")`.
    public var description: String { "\(symbol): \(min)…\(max) (Dim \(swiftStringLiteral(dimName)))" }
}

/// A graph's nodes in execution order (each node's inputs are defined before it).
public struct Graph: Hashable, Sendable, Codable {
    public var nodes: [GraphNode]
    public init(nodes: [GraphNode]) { self.nodes = nodes }

    /// Number of nodes running `op`.
    public func count(of op: GraphOp) -> Int { nodes.reduce(0) { $0 + ($1.op == op ? 1 : 0) } }
}
