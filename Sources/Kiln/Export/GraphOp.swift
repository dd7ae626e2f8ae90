/// The operations a Kiln graph can hold — one per eager op of the engine.
///
/// Inputs, in order (`?` marks an optional trailing input):
/// - `conv2d(x, weight, bias?)` — attributes stride, padding, dilation, groups
/// - `batch_norm(x, weight, bias, running_mean, running_var)` — eps (inference mode)
/// - `relu(x)`, `add(a, b)` (equal shapes)
/// - `max_pool2d(x)` — kernel, stride, padding, dilation, ceil_mode
/// - `adaptive_avg_pool2d(x)` — output_size
/// - `flatten(x)` — start_dim (to the last dimension)
/// - `linear(x, weight, bias?)`
public enum GraphOp: String, CaseIterable, Hashable, Sendable, Codable, CustomStringConvertible {
    case conv2d
    case batchNorm = "batch_norm"
    case relu
    case maxPool2d = "max_pool2d"
    case adaptiveAvgPool2d = "adaptive_avg_pool2d"
    case flatten
    case linear
    case add

    /// The op's name in listings and JSON, e.g. `batch_norm`.
    public var description: String { rawValue }

    /// Allowed number of inputs.
    public var arity: ClosedRange<Int> {
        switch self {
        case .conv2d, .linear: 2...3
        case .batchNorm: 5...5
        case .relu, .maxPool2d, .adaptiveAvgPool2d, .flatten: 1...1
        case .add: 2...2
        }
    }

    /// Attributes the op needs (JSON names).
    var requiredAttributes: [String] {
        switch self {
        case .conv2d: ["stride", "padding", "dilation", "groups"]
        case .batchNorm: ["eps"]
        case .maxPool2d: ["kernel", "stride", "padding", "dilation", "ceil_mode"]
        case .adaptiveAvgPool2d: ["output_size"]
        case .flatten: ["start_dim"]
        case .relu, .linear, .add: []
        }
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.singleValueContainer()
        let name = try c.decode(String.self)
        guard let op = GraphOp(rawValue: name) else {
            throw DecodingError.dataCorruptedError(
                in: c, debugDescription: "unknown op \"\(name)\" (Kiln's ops: \(GraphOp.allCases.map(\.rawValue).joined(separator: ", ")))")
        }
        self = op
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.singleValueContainer()
        try c.encode(rawValue)
    }
}

/// A node's attributes. Each op uses a fixed subset (see ``GraphOp``); the others are nil
/// and absent from the JSON. Sizes apply to both spatial dimensions.
public struct NodeAttributes: Hashable, Sendable, Codable {
    public var stride: Int?
    public var padding: Int?
    public var dilation: Int?
    public var groups: Int?
    /// Pooling window size.
    public var kernel: Int?
    public var eps: Float?
    public var ceilMode: Bool?
    /// (height, width) of `adaptive_avg_pool2d`'s output.
    public var outputSize: [Int]?
    public var startDim: Int?

    public init(stride: Int? = nil, padding: Int? = nil, dilation: Int? = nil, groups: Int? = nil, kernel: Int? = nil,
                eps: Float? = nil, ceilMode: Bool? = nil, outputSize: [Int]? = nil, startDim: Int? = nil) {
        self.stride = stride; self.padding = padding; self.dilation = dilation; self.groups = groups
        self.kernel = kernel; self.eps = eps; self.ceilMode = ceilMode; self.outputSize = outputSize
        self.startDim = startDim
    }

    enum CodingKeys: String, CodingKey {
        case stride, padding, dilation, groups, kernel, eps
        case ceilMode = "ceil_mode", outputSize = "output_size", startDim = "start_dim"
    }

    /// JSON names of the attributes that are set.
    var presentNames: [String] {
        var out: [String] = []
        if stride != nil { out.append("stride") }
        if padding != nil { out.append("padding") }
        if dilation != nil { out.append("dilation") }
        if groups != nil { out.append("groups") }
        if kernel != nil { out.append("kernel") }
        if eps != nil { out.append("eps") }
        if ceilMode != nil { out.append("ceil_mode") }
        if outputSize != nil { out.append("output_size") }
        if startDim != nil { out.append("start_dim") }
        return out
    }
}

/// One operation of a graph. Its output is the value named ``name``.
public struct GraphNode: Hashable, Sendable, Codable {
    /// The output value's name, from the module path (`layer1_0_conv1`) or the op (`add_3`).
    public var name: String
    public var op: GraphOp
    /// Names of the input values: user inputs, lifted constants or earlier nodes.
    public var inputs: [String]
    public var attributes: NodeAttributes
    /// The output's shape; symbols are those of the program's range constraints.
    public var shape: [SymDim]

    public init(name: String, op: GraphOp, inputs: [String], attributes: NodeAttributes = .init(), shape: [SymDim]) {
        self.name = name; self.op = op; self.inputs = inputs; self.attributes = attributes; self.shape = shape
    }
}
