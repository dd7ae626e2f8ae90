/// The operations a Kiln graph can hold — one per eager op of the engine.
///
/// Inputs, in order (`?` marks an optional trailing input):
/// - `conv2d(x, weight, bias?)` — attributes stride, padding, dilation, groups
/// - `batch_norm(x, weight, bias, running_mean, running_var)` — eps (inference mode)
/// - `relu(x)`, `add(a, b)` (equal shapes)
/// - `max_pool2d(x)` — kernel, stride, padding, dilation, ceil_mode
/// - `adaptive_avg_pool2d(x)` — output_size
/// - `flatten(x)` — start_dim (to the last dimension)
/// - `linear(x, weight, bias?)` — x: (…, IN), weight (OUT, IN)
/// - `clip`, `leaky_relu`, `sigmoid`, `hard_sigmoid`, `hard_swish`, `silu`, `tanh` (x) —
///   elementwise activations (attributes min/max, alpha/beta)
/// - `elu` (alpha), `selu` (alpha, beta = gamma), `shrink` (alpha = lambd, beta = bias),
///   `softplus`, `softsign`, `exp`, `log`, `sqrt`, `neg`, `abs`, `sign`, `reciprocal`, `erf` (x) —
///   elementwise math (not fused into convolutions); likewise `sin`, `cos`, `tan`, `asin`,
///   `acos`, `atan`, `sinh`, `cosh`, `asinh`, `acosh`, `atanh`, `floor`, `ceil`, `round`
///   (halves to even), `mish`, `celu` (alpha) and `thresholded_relu` (alpha)
/// - `gelu(x)` — mode (`none`: exact, with erf; `tanh`: the tanh approximation), an activation
/// - `add`, `sub`, `mul`, `div`, `max`, `min`, `pow` (a, b) — NumPy broadcasting
/// - `avg_pool2d(x)` — kernel_shape, strides, pads, ceil_mode, count_include_pad;
///   `max_pool2d` also takes these rectangular, asymmetric forms; `global_max_pool2d(x)`
/// - `reduce_mean(x)` — axes, keepdims; likewise `reduce_max`, `reduce_min`, `reduce_prod`,
///   `reduce_l1`, `reduce_l2`, `reduce_sum_square`, `reduce_log_sum`, `reduce_log_sum_exp`;
///   `softmax(x)`, `log_softmax(x)` — axis; `lrn(x)` — size, alpha, beta, bias
/// - `matmul(a, b)` — NumPy matmul; `reshape(x)` — shape (0 keeps, -1 infers);
///   `transpose(x)` — perm; `concat(x…)` — axis; `slice(x)` — starts, ends, axes, steps;
///   `pad(x)` — pads (begins, then ends), mode, value
/// - `expand(x, like?)` — shape: x broadcast (NumPy) to `shape`, whose 0 in dimension 0 is the
///   batch of `like` (or of x): how a constant such as a class token gains the batch
/// `conv2d` also takes rectangular, asymmetric geometry (strides, pads, dilations).
public enum GraphOp: String, CaseIterable, Hashable, Sendable, Codable, CustomStringConvertible {
    case conv2d
    case batchNorm = "batch_norm"
    case relu
    case maxPool2d = "max_pool2d"
    case adaptiveAvgPool2d = "adaptive_avg_pool2d"
    case flatten
    case linear
    case add
    case sub, mul, div
    case clip
    case leakyRelu = "leaky_relu"
    case sigmoid
    case hardSigmoid = "hard_sigmoid"
    case hardSwish = "hard_swish"
    case silu, tanh
    case avgPool2d = "avg_pool2d"
    case globalMaxPool2d = "global_max_pool2d"
    case reduceMean = "reduce_mean"
    case reduceMax = "reduce_max", reduceMin = "reduce_min", reduceProd = "reduce_prod"
    case reduceL1 = "reduce_l1", reduceL2 = "reduce_l2", reduceSumSquare = "reduce_sum_square"
    case reduceLogSum = "reduce_log_sum", reduceLogSumExp = "reduce_log_sum_exp"
    case softmax, lrn, matmul, reshape, transpose, concat, slice, pad
    case elu, selu, softplus, softsign, exp, log, sqrt, neg, abs, sign, reciprocal, shrink
    case maximum = "max", minimum = "min", pow
    case logSoftmax = "log_softmax"
    case erf, gelu
    case sin, cos, tan, asin, acos, atan, sinh, cosh, asinh, acosh, atanh, floor, ceil, round, mish
    case celu
    case thresholdedRelu = "thresholded_relu"
    case expand

    /// The op's name in listings and JSON, e.g. `batch_norm`.
    public var description: String { rawValue }

    /// Allowed number of inputs.
    public var arity: ClosedRange<Int> {
        switch self {
        case .conv2d, .linear: 2...3
        case .batchNorm: 5...5
        case .add, .sub, .mul, .div, .maximum, .minimum, .pow, .matmul: 2...2
        case .concat: 1...Self.maxConcatInputs
        case .expand: 1...2
        default: 1...1
        }
    }

    /// Attributes the op needs (JSON names).
    var requiredAttributes: [String] {
        switch self {
        // conv2d and max_pool2d take square sizes (stride, padding, …) or rectangular ones
        // (strides, pads, …): NodeAttributes.spatialGeometry checks that one form is complete.
        case .conv2d: ["groups"]
        case .batchNorm: ["eps"]
        case .maxPool2d: ["ceil_mode"]
        case .avgPool2d: ["kernel_shape", "strides", "pads", "ceil_mode", "count_include_pad"]
        case .adaptiveAvgPool2d: ["output_size"]
        case .flatten: ["start_dim"]
        case .clip: ["min", "max"]
        case .leakyRelu, .elu, .celu, .thresholdedRelu: ["alpha"]
        case .selu, .shrink: ["alpha", "beta"]
        case .hardSigmoid: ["alpha", "beta"]
        case _ where reduction != nil: ["axes", "keepdims"]
        case .softmax, .logSoftmax, .concat: ["axis"]
        case .lrn: ["size", "alpha", "beta", "bias"]
        case .reshape, .expand: ["shape"]
        case .transpose: ["perm"]
        case .slice: ["starts", "ends", "axes", "steps"]
        case .pad: ["pads", "mode", "value"]
        case .gelu: ["mode"]
        default: []
        }
    }

    /// Most inputs a `concat` takes (keeps a hostile graph from building huge nodes).
    static let maxConcatInputs = 4096

    /// Elementwise activations, which the compiler can fuse into a convolution's epilogue.
    public var isActivation: Bool {
        switch self {
        case .relu, .clip, .leakyRelu, .sigmoid, .hardSigmoid, .hardSwish, .silu, .tanh, .gelu: true
        default: false
        }
    }

    /// Elementwise ops of one input run by `kiln_activation`: the activations and the math
    /// functions (`exp`, `elu`, …), which stay standalone.
    public var isElementwiseUnary: Bool { isActivation || isUnaryMath }

    /// The elementwise math functions of ONNX models (`exp`, `sqrt`, `elu`, …).
    public var isUnaryMath: Bool {
        switch self {
        case .elu, .selu, .softplus, .softsign, .exp, .log, .sqrt, .neg, .abs, .sign, .reciprocal, .shrink, .erf,
             .sin, .cos, .tan, .asin, .acos, .atan, .sinh, .cosh, .asinh, .acosh, .atanh, .floor, .ceil, .round, .mish, .celu, .thresholdedRelu: true
        default: false
        }
    }

    /// The reduction a `reduce_*` op computes (nil for other ops).
    public var reduction: Reduction? {
        switch self {
        case .reduceMean: .mean
        case .reduceMax: .max
        case .reduceMin: .min
        case .reduceProd: .prod
        case .reduceL1: .l1
        case .reduceL2: .l2
        case .reduceSumSquare: .sumSquare
        case .reduceLogSum: .logSum
        case .reduceLogSumExp: .logSumExp
        default: nil
        }
    }

    /// Broadcasting binary ops.
    public var binaryOp: BinaryOp? {
        switch self {
        case .add: .add
        case .sub: .sub
        case .mul: .mul
        case .div: .div
        case .maximum: .max
        case .minimum: .min
        case .pow: .pow
        default: nil
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

extension GraphOp {
    /// The op computing `f` (the op of the same name).
    public init(_ f: UnaryMath) { self = GraphOp(rawValue: f.rawValue)! }
}

extension GraphNode {
    /// The activation an elementwise activation node computes (nil for other ops).
    public var activation: Activation? {
        let a = attributes
        switch op {
        case .relu: return .relu
        case .clip: return .clip(min: a.min ?? -.greatestFiniteMagnitude, max: a.max ?? .greatestFiniteMagnitude)
        case .leakyRelu: return .leakyRelu(alpha: a.alpha ?? 0.01)
        case .sigmoid: return .sigmoid
        case .hardSigmoid: return .hardSigmoid(alpha: a.alpha ?? 0.2, beta: a.beta ?? 0.5)
        case .hardSwish: return .hardSwish
        case .silu: return .silu
        case .tanh: return .tanh
        case .elu: return .elu(alpha: a.alpha ?? 1)
        case .selu: return .selu(alpha: a.alpha ?? 1.67326319217681884765625, gamma: a.beta ?? 1.05070102214813232421875)
        case .softplus: return .softplus
        case .softsign: return .softsign
        case .exp: return .exp
        case .log: return .log
        case .sqrt: return .sqrt
        case .neg: return .neg
        case .abs: return .abs
        case .sign: return .sign
        case .reciprocal: return .reciprocal
        case .shrink: return .shrink(lambd: a.alpha ?? 0.5, bias: a.beta ?? 0)
        case .erf: return .erf
        case .gelu: return .gelu(tanh: a.mode == "tanh")
        case .celu: return .celu(alpha: a.alpha ?? 1)
        case .thresholdedRelu: return .thresholdedRelu(alpha: a.alpha ?? 1)
        default: return UnaryMath(rawValue: op.rawValue).map { .math($0) }
        }
    }
}
