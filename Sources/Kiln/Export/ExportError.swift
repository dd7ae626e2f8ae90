/// Why `export(_:exampleInputs:dynamicShapes:)` refused a model or its dynamic shapes.
/// Every case ends with a "Suggested fix:" line holding Swift that can be pasted.
public enum ExportError: KilnError, Equatable {
    /// The model takes `expected` inputs but `got` example inputs were passed.
    case inputCount(expected: Int, got: Int)
    /// `dynamicShapes` names an input the model does not have.
    case unknownInput(name: String, inputs: [String], fixed: DynamicShapes)
    /// `dynamicShapes` marks a dimension beyond the example input's rank.
    case dimensionOutOfRange(input: String, dimension: Int, shape: [Int], fixed: DynamicShapes)
    /// A Dim with min > max.
    case minAboveMax(input: String, dimension: Int, dim: Dim)
    /// A Dim with min < 1 (an empty dimension cannot be run).
    case minBelowOne(input: String, dimension: Int, dim: Dim)
    /// A Dim whose max exceeds the largest size the kernels take (2³¹ - 1).
    case maxTooLarge(input: String, dimension: Int, dim: Dim)
    /// The example input's size lies outside the Dim's range.
    case exampleOutsideRange(input: String, dimension: Int, size: Int, dim: Dim)
    /// A Dim on a dimension that an op needs static (e.g. the height, which convolutions
    /// and the classifier fix). `fixed` is `dynamicShapes` without that Dim.
    case dimensionMustBeStatic(input: String, dimension: Int, dim: Dim, op: GraphOp, module: String, fixed: DynamicShapes)
    /// A module (or the op it runs) is not ``Traceable``: no graph breaks in Kiln.
    case notTraceable(module: String, type: String)
    /// The example input does not fit the model (`module` is the path, "" for the root).
    case shapeMismatch(module: String, op: GraphOp, message: String)
    /// An example input with a dimension of size 0: nothing to compute, and the kernels need sizes ≥ 1.
    case emptyExample(input: String, shape: [Int])
    /// A value the example input leads to (`what`: the input itself or an op's output) has more
    /// elements per batch row than the kernels index with 32-bit integers (nil: beyond Int.max).
    case tooLarge(what: String, shape: [SymDim], elementsPerRow: Int?)

    public var failureClass: FailureClass {
        switch self {
        case .notTraceable: .badInput
        default: .shape
        }
    }

    public var description: String {
        switch self {
        case let .inputCount(expected, got):
            return "export: the model takes \(expected) input\(expected == 1 ? "" : "s"), but \(got) example input\(got == 1 ? " was" : "s were") given"
        case let .unknownInput(name, inputs, _):
            return "export: dynamicShapes names the input \(swiftStringLiteral(name)), but the model's inputs are \(inputs.map(swiftStringLiteral).joined(separator: ", "))"
        case let .dimensionOutOfRange(input, dimension, shape, _):
            return "export: dynamicShapes marks dimension \(dimension) of input \(input), but its example has shape \(shape) (dimensions 0…\(shape.count - 1))"
        case let .minAboveMax(input, dimension, dim):
            return "export: input \(input), dimension \(dimension): \(dim) has min \(dim.min) > max \(dim.max)"
        case let .minBelowOne(input, dimension, dim):
            return "export: input \(input), dimension \(dimension): \(dim) has min \(dim.min), but sizes start at 1"
        case let .maxTooLarge(input, dimension, dim):
            return "export: input \(input), dimension \(dimension): \(dim) has max \(dim.max), above the largest size Kiln runs (\(ShapeInference.dimensionLimit))"
        case let .exampleOutsideRange(input, dimension, size, dim):
            return "export: input \(input): dimension \(dimension) of the example is \(size), outside \(dim) (\(dim.min)…\(dim.max))"
        case let .dimensionMustBeStatic(input, dimension, dim, op, module, _):
            return "export: input \(input), dimension \(dimension) is marked \(dim), but \(op) at \(Self.place(module)) needs it static; only the batch dimension can stay symbolic"
        case let .notTraceable(module, type):
            return "export: \(type) at \(Self.place(module)) is not Traceable (it cannot trace its forward pass into graph ops), so the model cannot be captured as one graph (Kiln allows no graph breaks)"
        case let .shapeMismatch(module, op, message):
            return "export: the example input does not fit \(op) at \(Self.place(module)): \(message)"
        case let .emptyExample(input, shape):
            return "export: example input \(input) has shape \(shape), which is empty (dimension \(shape.firstIndex(of: 0) ?? 0) is 0); every size must be at least 1"
        case let .tooLarge(what, shape, elements):
            let count = elements.map { "\($0)" } ?? "over \(Int.max)"
            return "export: \(what) \(shape.shapeDescription): \(count) elements per batch row, more than the \(ShapeInference.dimensionLimit) Kiln's kernels can index"
        }
    }

    public var suggestion: String? {
        switch self {
        case .inputCount:
            return "Suggested fix: export(model, exampleInputs: [Tensor.randn([2, 3, 224, 224])], dynamicShapes: [\"x\": [0: Dim(\"batch\", min: 1, max: 32)]])"
        case let .unknownInput(_, _, fixed), let .dimensionOutOfRange(_, _, _, fixed), let .dimensionMustBeStatic(_, _, _, _, _, fixed):
            return "Suggested fix: dynamicShapes: \(swiftLiteral(fixed))"
        case .minAboveMax, .minBelowOne, .maxTooLarge, .exampleOutsideRange:
            guard case let .batchRange(name, min, max)? = fixes.last else { return nil }
            return "Suggested fix: \(Dim(name, min: min, max: max))"
        case let .notTraceable(_, type):
            return "Suggested fix: extension \(type): Traceable { func trace(_ x: GraphValue, in graph: GraphBuilder) throws -> GraphValue { /* graph.node(...) with Kiln's ops */ } }"
        case .shapeMismatch:
            return "Suggested fix: pass an example input the model runs on eagerly, e.g. exampleInputs: [Tensor.randn([2, 3, 224, 224])]"
        case let .emptyExample(_, shape):
            return "Suggested fix: pass at least one item of a non-empty shape, e.g. Tensor.randn(\(shape.map { Swift.max($0, 1) }))"
        case .tooLarge:
            return "Suggested fix: export with a smaller example input, e.g. exampleInputs: [Tensor.randn([1, 3, 224, 224])]"
        }
    }

    /// The remedies as data (the CLI spells them as flags). A swapped or empty range is
    /// fixed to one that starts at 1 or more, so the fix itself always exports.
    public var fixes: [Fix] {
        switch self {
        case let .minAboveMax(_, _, dim), let .minBelowOne(_, _, dim):
            let lo = Swift.max(1, Swift.min(dim.min, dim.max)), hi = Swift.max(1, dim.min, dim.max)
            return [.batchRange(name: dim.name, min: lo, max: hi)]
        case let .maxTooLarge(_, _, dim):
            return [.batchRange(name: dim.name, min: dim.min, max: 1024)]
        case let .exampleOutsideRange(_, _, size, dim):
            return [.exampleBatch(dim.min), .batchRange(name: dim.name, min: Swift.min(dim.min, size), max: Swift.max(dim.max, size))]
        case .shapeMismatch:
            return [.exampleShape([2, 3, 224, 224])]
        case .tooLarge:
            return [.exampleShape([1, 3, 224, 224])]
        default:
            return []
        }
    }

    static func place(_ module: String) -> String { module.isEmpty ? "the model's root" : "`\(module)`" }
}
