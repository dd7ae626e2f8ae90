internal import CKilnKernels

/// What a `reduce_*` op computes over its axes (ONNX's ReduceMean, ReduceMax, …, ReduceLogSumExp).
public enum Reduction: String, Sendable, Codable, CaseIterable {
    case mean, max, min, prod
    /// Σ|x|, √(Σx²), Σx², log(Σx) and log(Σeˣ).
    case l1, l2, sumSquare, logSum, logSumExp

    var cKind: Int32 {
        switch self {
        case .mean: Int32(KILN_REDUCE_MEAN.rawValue)
        case .max: Int32(KILN_REDUCE_MAX.rawValue)
        case .min: Int32(KILN_REDUCE_MIN.rawValue)
        case .prod: Int32(KILN_REDUCE_PROD.rawValue)
        case .l1: Int32(KILN_REDUCE_L1.rawValue)
        case .l2: Int32(KILN_REDUCE_L2.rawValue)
        case .sumSquare: Int32(KILN_REDUCE_SUM_SQUARE.rawValue)
        case .logSum: Int32(KILN_REDUCE_LOG_SUM.rawValue)
        case .logSumExp: Int32(KILN_REDUCE_LOG_SUM_EXP.rawValue)
        }
    }

    /// The C enumerator, for generated code.
    var cName: String {
        switch self {
        case .sumSquare: "KILN_REDUCE_SUM_SQUARE"
        case .logSum: "KILN_REDUCE_LOG_SUM"
        case .logSumExp: "KILN_REDUCE_LOG_SUM_EXP"
        default: "KILN_REDUCE_\(rawValue.uppercased())"
        }
    }
}
