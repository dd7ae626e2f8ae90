internal import CKilnKernels

/// Elementwise functions of ONNX models without parameters, beyond ``Activation``'s first
/// ones: trigonometric and hyperbolic functions and their inverses, rounding, and Mish. Each
/// is a graph op of the same name (`sin`, …) and runs through `kiln_activation` (libm's
/// functions, NaN passing through), standalone: the compiler never fuses them into a
/// convolution's epilogue.
public enum UnaryMath: String, CaseIterable, Hashable, Sendable, Codable {
    case sin, cos, tan, asin, acos, atan, sinh, cosh, asinh, acosh, atanh
    /// Rounding down, up, and to the nearest integer with halves to even (ONNX `Round`).
    case floor, ceil, round
    /// x · tanh(softplus(x)).
    case mish

    /// The kernel's kind, and its name in generated C.
    var cKind: (kind: kiln_act_kind, name: String) {
        switch self {
        case .sin: (KILN_ACT_SIN, "KILN_ACT_SIN")
        case .cos: (KILN_ACT_COS, "KILN_ACT_COS")
        case .tan: (KILN_ACT_TAN, "KILN_ACT_TAN")
        case .asin: (KILN_ACT_ASIN, "KILN_ACT_ASIN")
        case .acos: (KILN_ACT_ACOS, "KILN_ACT_ACOS")
        case .atan: (KILN_ACT_ATAN, "KILN_ACT_ATAN")
        case .sinh: (KILN_ACT_SINH, "KILN_ACT_SINH")
        case .cosh: (KILN_ACT_COSH, "KILN_ACT_COSH")
        case .asinh: (KILN_ACT_ASINH, "KILN_ACT_ASINH")
        case .acosh: (KILN_ACT_ACOSH, "KILN_ACT_ACOSH")
        case .atanh: (KILN_ACT_ATANH, "KILN_ACT_ATANH")
        case .floor: (KILN_ACT_FLOOR, "KILN_ACT_FLOOR")
        case .ceil: (KILN_ACT_CEIL, "KILN_ACT_CEIL")
        case .round: (KILN_ACT_ROUND, "KILN_ACT_ROUND")
        case .mish: (KILN_ACT_MISH, "KILN_ACT_MISH")
        }
    }
}
