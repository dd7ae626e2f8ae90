/// Why ``importONNX(_:dynamicShapes:)`` refused a model: one line naming the file and the
/// node (name, op type, opset) or tensor at fault, then a `Suggested fix:` line; the remedies
/// are also data (``fixes``), so the `kiln` CLI can say them as its own flags.
public enum ONNXImportError: KilnError, Equatable {
    /// The file is missing or unreadable.
    case unreadable(file: String, reason: String)
    /// Not a ModelProto or TensorProto (truncated, garbage), or one breaking ONNX's rules.
    case malformed(ONNXLocation, problem: String, remedy: String)
    /// Over a parsing limit: `what` has `value`, more than `limit` allows (`bound`).
    case limitExceeded(ONNXLocation, what: String, limit: ONNXLimit, bound: Int, remedy: String)
    /// Operators Kiln does not implement, all of them at once.
    case unsupportedOperators(file: String, opset: Int, operators: [ONNXUnsupportedOperator], supported: [String])
    /// A supported operator (or input) with an attribute value or form Kiln does not run.
    case unsupportedFeature(ONNXLocation, problem: String, remedy: String)
    /// An undefined, duplicated or cyclic value, or a graph without inputs or outputs.
    case invalidGraph(ONNXLocation, problem: String, remedy: String)
    /// An initializer or constant whose data does not fit its dims or type.
    case invalidTensor(file: String, tensor: String, problem: String)
    /// External data that is missing, escapes the model's folder or lies outside its file.
    case externalData(file: String, tensor: String, location: String, problem: String, remedy: String)
    /// Shapes that do not fit an operator.
    case shapeMismatch(ONNXLocation, problem: String)
    /// The input's dimension 0 is symbolic (`parameter`) and the caller gave it no range.
    case batchNeedsRange(file: String, input: String, parameter: String, suggested: DynamicShapes)
    /// A Dim was given for a dimension the model has static (`size`).
    case staticBatch(file: String, input: String, dimension: Int, size: Int, requested: Dim, without: DynamicShapes)
    /// `dynamicShapes` names something that is not one of the model's inputs.
    case unknownInput(file: String, requested: String, inputs: [String], without: DynamicShapes)
    /// `dynamicShapes` marks a dimension other than 0 (only the batch may be symbolic).
    case nonBatchDimension(file: String, input: String, dimension: Int, without: DynamicShapes)
    /// Inputs sharing one symbolic dimension were given different Dims.
    case conflictingDims(file: String, parameter: String, first: Dim, second: Dim)
    /// A Dim that is empty, starts below 1 or exceeds the dimension limit.
    case invalidDim(file: String, input: String, dim: Dim, limit: Int)

    /// The broad kind of a case, for callers sorting failures (e.g. tests counting reasons).
    public enum Kind: String, Sendable, Equatable {
        case unreadable, malformed, limitExceeded, unsupportedOps, unsupportedAttribute, invalidGraph,
             invalidTensor, externalData, shapeMismatch, dynamicShapes
    }

    public var kind: Kind {
        switch self {
        case .unreadable: .unreadable
        case .malformed: .malformed
        case .limitExceeded: .limitExceeded
        case .unsupportedOperators: .unsupportedOps
        case .unsupportedFeature: .unsupportedAttribute
        case .invalidGraph: .invalidGraph
        case .invalidTensor: .invalidTensor
        case .externalData: .externalData
        case .shapeMismatch: .shapeMismatch
        case .batchNeedsRange, .staticBatch, .unknownInput, .nonBatchDimension, .conflictingDims, .invalidDim: .dynamicShapes
        }
    }

    /// The README's classes: what the caller asked of the model's shapes is a shape problem
    /// (exit 67); everything about the file itself is bad input (65).
    public var failureClass: FailureClass {
        switch self {
        case .batchNeedsRange, .staticBatch, .unknownInput, .nonBatchDimension, .conflictingDims, .invalidDim:
            .shape
        case .unreadable, .malformed, .limitExceeded, .unsupportedOperators, .unsupportedFeature, .invalidGraph,
             .invalidTensor, .externalData, .shapeMismatch:
            .badInput
        }
    }

    public var description: String {
        switch self {
        case let .unreadable(file, reason):
            return "\(file): \(reason)"
        case let .malformed(at, problem, _), let .unsupportedFeature(at, problem, _), let .invalidGraph(at, problem, _),
             let .shapeMismatch(at, problem):
            return "\(at): \(problem)"
        case let .limitExceeded(at, what, _, _, _):
            return "\(at): \(what)"
        case let .unsupportedOperators(file, opset, operators, _):
            let list = operators.map { op -> String in
                let shown = op.nodes.prefix(3).map { "\"\($0)\"" }.joined(separator: ", ") + (op.nodes.count > 3 ? ", … (\(op.nodes.count) nodes)" : "")
                return "\(op.opType) (\(shown))"
            }
            let are = operators.count == 1 ? " is" : "s are"
            return "\(file): \(operators.count) operator type\(are) not supported by Kiln (opset \(opset)): \(list.joined(separator: "; "))"
        case let .invalidTensor(file, tensor, problem):
            return "\(file): \(tensor): \(problem)"
        case let .externalData(file, tensor, location, problem, _):
            return "\(file): \(tensor): external data location \"\(location)\" \(problem)"
        case let .batchNeedsRange(file, input, parameter, _):
            return "\(file): input \"\(input)\": dimension 0 is symbolic (\"\(parameter)\") and needs a range"
        case let .staticBatch(file, input, dimension, size, requested, _):
            return "\(file): input \"\(input)\": dimension \(dimension) is static (\(size)) in the model, so it cannot be made \(requested): the export specialised the graph to it"
        case let .unknownInput(file, requested, inputs, _):
            return "\(file): dynamicShapes names the input \"\(requested)\", but the model's inputs are \(inputs.map { "\"\($0)\"" }.joined(separator: ", "))"
        case let .nonBatchDimension(file, input, dimension, _):
            return "\(file): dynamicShapes marks dimension \(dimension) of input \"\(input)\"; only dimension 0 (the batch) can be symbolic"
        case let .conflictingDims(file, parameter, first, second):
            return "\(file): inputs share the symbolic dimension \"\(parameter)\" but were given different Dims (\(first) and \(second))"
        case let .invalidDim(file, input, dim, limit):
            return "\(file): input \"\(input)\": \(dim) is empty, starts below 1 or exceeds \(limit)"
        }
    }
}
