/// Where in an ONNX model an import error lies: the file, and the node (its label, e.g.
/// `"/conv1/Conv" (Conv)`) with the model's opset when a node is at fault.
public struct ONNXLocation: Sendable, Equatable, CustomStringConvertible {
    /// The model file as shown to people (relative to the working directory when inside it).
    public let file: String
    /// The node's name and op type, or nil when the error concerns the whole file.
    public let node: String?
    /// The default domain's opset (the operators' semantics), with `node`.
    public let opset: Int?

    public init(file: String, node: String? = nil, opset: Int? = nil) {
        self.file = file
        self.node = node
        self.opset = opset
    }

    public var description: String {
        guard let node else { return file }
        return opset.map { "\(file): node \(node), opset \($0)" } ?? "\(file): node \(node)"
    }
}

/// Operators of one type that Kiln does not import, with the nodes using them.
public struct ONNXUnsupportedOperator: Sendable, Equatable {
    /// The op type, prefixed by its domain when that is not ONNX's default (`com.microsoft.Gelu`).
    public let opType: String
    /// The nodes' names (their first output when unnamed), in file order.
    public let nodes: [String]
}

/// The parsing limits of ``ONNXImportLimits``, named for messages and fixes.
public enum ONNXLimit: String, Sendable, Equatable {
    case maxFileBytes, maxNodes, maxRank, maxTensorElements
}
