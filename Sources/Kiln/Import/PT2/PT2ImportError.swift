/// Why ``importPT2(_:limits:)`` refused a `.pt2` archive: one line naming the file and the
/// member, node (name and ATen target) or weight at fault, then a `Suggested fix:` line.
public struct PT2ImportError: KilnError, Equatable {
    public enum Kind: String, Sendable, Equatable {
        /// The file is missing or unreadable.
        case unreadable
        /// Not a `torch.export.save` archive: a truncated or broken zip, unsafe member names,
        /// missing members, or JSON that does not follow PyTorch's serialization schema.
        case malformed
        /// Over a parsing limit (file or member size, node count, JSON nesting, rank, elements).
        case limitExceeded
        /// A schema major version (or archive format) Kiln does not read.
        case unsupportedVersion
        /// ATen operators Kiln does not implement (all of them listed at once).
        case unsupportedOps
        /// A supported operator with an argument value Kiln does not run (a transposed or 3-D
        /// convolution, training-mode batch norm, …).
        case unsupportedArgument
        /// A weight that is pickled (`use_pickle: true`), of a dtype Kiln does not convert, or
        /// whose bytes do not fit its sizes, strides and offset.
        case invalidWeight
        /// An undefined or duplicated value, or a signature that does not fit the graph.
        case invalidGraph
        /// Shapes that do not fit an operator.
        case shapeMismatch
    }

    public let kind: Kind
    public let description: String
    public let suggestion: String?

    init(_ kind: Kind, _ description: String, fix: String) {
        self.kind = kind
        self.description = description
        suggestion = "Suggested fix: " + fix
    }

    /// Every refusal is about the file (65).
    public var failureClass: FailureClass { .badInput }
}
