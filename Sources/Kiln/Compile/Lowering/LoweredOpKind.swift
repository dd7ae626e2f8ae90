/// What a lowered step computes, as a closed set: the key of the code generator's emitter
/// table (``Emitters/table``), and through its raw value the op's name in listings, generated
/// comments and autotune keys.
enum LoweredOpKind: String, CaseIterable, Sendable {
    case conv2d
    case batchNorm = "batch_norm"
    case relu
    case add
    case maxPool2d = "max_pool2d"
    case adaptiveAvgPool2d = "adaptive_avg_pool2d"
    case flatten
    case linear
    /// An ONNX-family step (``TensorStep``); its listing name is its graph op's.
    case tensor
}

extension LoweredOp {
    /// This op's kind.
    var kind: LoweredOpKind {
        switch self {
        case .conv: .conv2d
        case .batchNorm: .batchNorm
        case .relu: .relu
        case .add: .add
        case .maxPool: .maxPool2d
        case .adaptiveAvgPool: .adaptiveAvgPool2d
        case .flatten: .flatten
        case .linear: .linear
        case .tensor: .tensor
        }
    }
}
