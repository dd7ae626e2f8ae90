internal import CKilnKernels

/// An elementwise activation: a standalone op, and the activation a convolution's epilogue
/// applies after its bias and residual (`y = act(conv + bias + residual)`).
/// NaN passes through every case.
public enum Activation: Hashable, Sendable, Codable {
    case none, relu
    /// min(max(x, min), max); ReLU6 is `clip(min: 0, max: 6)`.
    case clip(min: Float, max: Float)
    /// x ≥ 0 ? x : alpha·x.
    case leakyRelu(alpha: Float)
    /// 1 / (1 + e⁻ˣ).
    case sigmoid
    /// max(0, min(1, alpha·x + beta)) (ONNX defaults: alpha 0.2, beta 0.5).
    case hardSigmoid(alpha: Float, beta: Float)
    /// x · max(0, min(1, x/6 + 1/2)).
    case hardSwish
    /// x · sigmoid(x) (also called swish).
    case silu
    case tanh
    /// x < 0 ? alpha·(eˣ − 1) : x.
    case elu(alpha: Float)
    /// gamma · (x ≤ 0 ? alpha·(eˣ − 1) : x) (ONNX defaults alpha 1.6733, gamma 1.0507).
    case selu(alpha: Float, gamma: Float)
    /// log(1 + eˣ), computed without overflow.
    case softplus
    /// x / (1 + |x|).
    case softsign
    /// eˣ, log x, √x, −x, |x|, sign x (−1, 0, 1) and 1/x: elementwise math of ONNX models.
    case exp, log, sqrt, neg, abs, sign, reciprocal
    /// x < −lambd ? x + bias : (x > lambd ? x − bias : 0).
    case shrink(lambd: Float, bias: Float)
    /// erf x (the error function).
    case erf
    /// x/2 · (1 + erf(x/√2)), or with `tanh` PyTorch's and ONNX's tanh approximation
    /// x/2 · (1 + tanh(√(2/π) · (x + 0.044715 x³))).
    case gelu(tanh: Bool)
    /// max(0, x) + min(0, alpha·(e^(x/alpha) − 1)), alpha ≠ 0 (ONNX `Celu`, default alpha 1).
    case celu(alpha: Float)
    /// x > alpha ? x : 0 (ONNX `ThresholdedRelu`, default alpha 1).
    case thresholdedRelu(alpha: Float)
    /// sin, cos, …, floor, round, mish: see ``UnaryMath``.
    case math(UnaryMath)

    /// The C struct the kernels take.
    var c: kiln_act {
        switch self {
        case .none: kiln_act(kind: Int32(KILN_ACT_NONE.rawValue), a: 0, b: 0)
        case .relu: kiln_act(kind: Int32(KILN_ACT_RELU.rawValue), a: 0, b: 0)
        case let .clip(lo, hi): kiln_act(kind: Int32(KILN_ACT_CLIP.rawValue), a: lo, b: hi)
        case let .leakyRelu(alpha): kiln_act(kind: Int32(KILN_ACT_LEAKY_RELU.rawValue), a: alpha, b: 0)
        case .sigmoid: kiln_act(kind: Int32(KILN_ACT_SIGMOID.rawValue), a: 0, b: 0)
        case let .hardSigmoid(alpha, beta): kiln_act(kind: Int32(KILN_ACT_HARD_SIGMOID.rawValue), a: alpha, b: beta)
        case .hardSwish: kiln_act(kind: Int32(KILN_ACT_HARD_SWISH.rawValue), a: 0, b: 0)
        case .silu: kiln_act(kind: Int32(KILN_ACT_SILU.rawValue), a: 0, b: 0)
        case .tanh: kiln_act(kind: Int32(KILN_ACT_TANH.rawValue), a: 0, b: 0)
        case let .elu(alpha): kiln_act(kind: Int32(KILN_ACT_ELU.rawValue), a: alpha, b: 0)
        case let .selu(alpha, gamma): kiln_act(kind: Int32(KILN_ACT_SELU.rawValue), a: alpha, b: gamma)
        case .softplus: kiln_act(kind: Int32(KILN_ACT_SOFTPLUS.rawValue), a: 0, b: 0)
        case .softsign: kiln_act(kind: Int32(KILN_ACT_SOFTSIGN.rawValue), a: 0, b: 0)
        case .exp: kiln_act(kind: Int32(KILN_ACT_EXP.rawValue), a: 0, b: 0)
        case .log: kiln_act(kind: Int32(KILN_ACT_LOG.rawValue), a: 0, b: 0)
        case .sqrt: kiln_act(kind: Int32(KILN_ACT_SQRT.rawValue), a: 0, b: 0)
        case .neg: kiln_act(kind: Int32(KILN_ACT_NEG.rawValue), a: 0, b: 0)
        case .abs: kiln_act(kind: Int32(KILN_ACT_ABS.rawValue), a: 0, b: 0)
        case .sign: kiln_act(kind: Int32(KILN_ACT_SIGN.rawValue), a: 0, b: 0)
        case .reciprocal: kiln_act(kind: Int32(KILN_ACT_RECIPROCAL.rawValue), a: 0, b: 0)
        case let .shrink(lambd, bias): kiln_act(kind: Int32(KILN_ACT_SHRINK.rawValue), a: lambd, b: bias)
        case .erf: kiln_act(kind: Int32(KILN_ACT_ERF.rawValue), a: 0, b: 0)
        case let .gelu(tanh): kiln_act(kind: Int32(KILN_ACT_GELU.rawValue), a: tanh ? 1 : 0, b: 0)
        case let .celu(alpha): kiln_act(kind: Int32(KILN_ACT_CELU.rawValue), a: alpha, b: 0)
        case let .thresholdedRelu(alpha): kiln_act(kind: Int32(KILN_ACT_THRESHOLDED_RELU.rawValue), a: alpha, b: 0)
        case let .math(f): kiln_act(kind: Int32(f.cKind.kind.rawValue), a: 0, b: 0)
        }
    }

    /// The C initialiser of `c` for generated code, e.g. `{KILN_ACT_CLIP, 0.0f, 6.0f}`. Swift
    /// prints the shortest decimal that reads back as the same Float, so the library's
    /// constants are exactly the eager kernels'.
    var cLiteral: String {
        let v = c
        let kind = Self.cKindNames[v.kind]!
        switch self {
        case .clip, .leakyRelu, .hardSigmoid, .elu, .selu, .shrink, .gelu, .celu, .thresholdedRelu: return "{\(kind), \(Self.cFloat(v.a)), \(Self.cFloat(v.b))}"
        default: return "{\(kind)}"
        }
    }

    /// Every kind's name in kiln_ops.h, by value.
    static let cKindNames: [Int32: String] = {
        let kinds: [(kiln_act_kind, String)] = [
            (KILN_ACT_NONE, "KILN_ACT_NONE"), (KILN_ACT_RELU, "KILN_ACT_RELU"), (KILN_ACT_CLIP, "KILN_ACT_CLIP"),
            (KILN_ACT_LEAKY_RELU, "KILN_ACT_LEAKY_RELU"), (KILN_ACT_SIGMOID, "KILN_ACT_SIGMOID"),
            (KILN_ACT_HARD_SIGMOID, "KILN_ACT_HARD_SIGMOID"), (KILN_ACT_HARD_SWISH, "KILN_ACT_HARD_SWISH"),
            (KILN_ACT_SILU, "KILN_ACT_SILU"), (KILN_ACT_TANH, "KILN_ACT_TANH"), (KILN_ACT_ELU, "KILN_ACT_ELU"),
            (KILN_ACT_SELU, "KILN_ACT_SELU"), (KILN_ACT_SOFTPLUS, "KILN_ACT_SOFTPLUS"), (KILN_ACT_SOFTSIGN, "KILN_ACT_SOFTSIGN"),
            (KILN_ACT_EXP, "KILN_ACT_EXP"), (KILN_ACT_LOG, "KILN_ACT_LOG"), (KILN_ACT_SQRT, "KILN_ACT_SQRT"),
            (KILN_ACT_NEG, "KILN_ACT_NEG"), (KILN_ACT_ABS, "KILN_ACT_ABS"), (KILN_ACT_SIGN, "KILN_ACT_SIGN"),
            (KILN_ACT_RECIPROCAL, "KILN_ACT_RECIPROCAL"), (KILN_ACT_SHRINK, "KILN_ACT_SHRINK"), (KILN_ACT_ERF, "KILN_ACT_ERF"),
            (KILN_ACT_GELU, "KILN_ACT_GELU"), (KILN_ACT_CELU, "KILN_ACT_CELU"), (KILN_ACT_THRESHOLDED_RELU, "KILN_ACT_THRESHOLDED_RELU"),
        ] + UnaryMath.allCases.map(\.cKind)
        return Dictionary(uniqueKeysWithValues: kinds.map { (Int32($0.0.rawValue), $0.1) })
    }()

    /// Infinities and NaN as compiler builtins: model.c does not include <math.h>.
    static func cFloat(_ f: Float) -> String {
        if f.isNaN { return "__builtin_nanf(\"\")" }
        if f.isInfinite { return f < 0 ? "-__builtin_inff()" : "__builtin_inff()" }
        return "\(f)f"
    }
}

/// An elementwise binary op with NumPy broadcasting.
public enum BinaryOp: String, Sendable, Codable, CaseIterable {
    case add, sub, mul, div
    /// Elementwise maximum and minimum (NaN propagates), and aᵇ.
    case max, min, pow

    var cKind: Int32 {
        switch self {
        case .add: Int32(KILN_BIN_ADD.rawValue)
        case .sub: Int32(KILN_BIN_SUB.rawValue)
        case .mul: Int32(KILN_BIN_MUL.rawValue)
        case .div: Int32(KILN_BIN_DIV.rawValue)
        case .max: Int32(KILN_BIN_MAX.rawValue)
        case .min: Int32(KILN_BIN_MIN.rawValue)
        case .pow: Int32(KILN_BIN_POW.rawValue)
        }
    }
}

/// How `Pad` fills new cells: a constant, the mirror image without the edge (NumPy
/// "reflect"), or the edge value repeated.
public enum PadMode: String, Sendable, Codable {
    case constant, reflect, edge

    var cMode: Int32 {
        switch self {
        case .constant: 0
        case .reflect: 1
        case .edge: 2
        }
    }
}
