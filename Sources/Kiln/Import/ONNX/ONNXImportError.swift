/// Why ``importONNX(_:dynamicShapes:)`` refused a model: one line naming the file and the
/// node (name, op type, opset) or tensor at fault, then a `Suggested fix:` line.
public struct ONNXImportError: KilnError, Equatable {
    public enum Kind: String, Sendable, Equatable {
        /// The file is missing or unreadable.
        case unreadable
        /// Not a ModelProto (truncated, garbage), or one breaking ONNX's rules.
        case malformed
        /// Over a parsing limit (file size, node count, rank, dimension, element count).
        case limitExceeded
        /// Operators Kiln does not implement (all of them listed at once).
        case unsupportedOps
        /// A supported operator with an attribute value or input form Kiln does not run.
        case unsupportedAttribute
        /// An undefined, duplicated or cyclic value.
        case invalidGraph
        /// An initializer or constant whose data does not fit its dims or type.
        case invalidTensor
        /// External data that is missing, escapes the model's folder or lies outside its file.
        case externalData
        /// Shapes that do not fit an operator.
        case shapeMismatch
        /// `dynamicShapes` does not fit the model's inputs.
        case dynamicShapes
    }

    public let kind: Kind
    public let description: String
    public let suggestion: String?

    init(_ kind: Kind, _ description: String, fix: String) {
        self.kind = kind
        self.description = description
        suggestion = "Suggested fix: " + fix
    }

    /// Dynamic-shape requests are shape problems (67); everything else is bad input (65).
    public var failureClass: FailureClass { kind == .dynamicShapes ? .shape : .badInput }
}
