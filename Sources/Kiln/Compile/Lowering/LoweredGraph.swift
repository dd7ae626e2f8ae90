/// A convolution after folding and fusion: y = act(conv(x, weight) + bias + residual).
struct ConvStep {
    var x: String
    var weight: Tensor
    var bias: Tensor?
    var geometry: Conv2dGeometry
    /// A value added in the epilogue (the fused residual `add`).
    var residual: String?
    /// Per-image channel scales (N, C, 1, 1) the input is multiplied by first (a fused
    /// squeeze-excitation `mul`; packed-GEMM pointwise layers only, see
    /// ``FusionPasses/fuseInputScale(_:)``).
    var inputScale: String?
    /// The epilogue's activation (a fused ReLU, Clip, HardSwish, SiLU, …).
    var activation: Activation = .none
    var algorithm: ConvAlgorithm = .im2colSgemm
    /// Switches for larger batches, by ascending `fromBatch`: from each one's batch on (up to
    /// the next one's) the library runs its algorithm instead, with weights it builds from
    /// ``algorithm``'s on the first such call (kiln_lazy_weights.h).
    var largeBatch: [(fromBatch: Int, algorithm: ConvAlgorithm)] = []
    /// A max pool over the epilogue's output, fused into the step (``FusionPasses/fuseMaxPool(_:)``):
    /// the step's value is then the pooled one.
    var pool: MaxPoolSpec?
    /// Original nodes merged into this step, for the generated comments.
    var fused: [String] = []

    init(x: String, weight: Tensor, bias: Tensor?, geometry: Conv2dGeometry, residual: String? = nil,
         activation: Activation = .none, fused: [String] = []) {
        self.x = x; self.weight = weight; self.bias = bias; self.geometry = geometry
        self.residual = residual; self.activation = activation; self.fused = fused
    }

    /// A square, symmetric geometry (the Swift modules' convolutions).
    init(x: String, weight: Tensor, bias: Tensor?, stride: Int, padding: Int, dilation: Int, groups: Int, fused: [String] = []) {
        let k = weight.rank == 4 ? (weight.shape[2], weight.shape[3]) : (1, 1)
        self.init(x: x, weight: weight, bias: bias,
                  geometry: Conv2dGeometry(kernel: k, stride: (stride, stride), dilation: (dilation, dilation),
                                           pads: (padding, padding, padding, padding), groups: groups),
                  fused: fused)
    }

    var groups: Int { geometry.groups }
    /// Whether the epilogue's activation is ReLU (setting it replaces the activation).
    var relu: Bool {
        get { activation == .relu }
        set { activation = newValue ? .relu : .none }
    }
}

/// A max pool's window (dilation 1, the same padding before and after), as `kiln_maxpool2d_params` takes it.
struct MaxPoolSpec: Equatable {
    var kernel: (h: Int, w: Int)
    var stride: (h: Int, w: Int)
    var padding: (h: Int, w: Int)
    var ceilMode: Bool

    static func == (a: Self, b: Self) -> Bool {
        a.kernel == b.kernel && a.stride == b.stride && a.padding == b.padding && a.ceilMode == b.ceilMode
    }

    /// The window of a max-pool step, when it has that form.
    init?(_ op: LoweredOp) {
        switch op {
        case let .maxPool(_, k, s, p, d, ceil) where d == 1:
            self.init(kernel: (k, k), stride: (s, s), padding: (p, p), ceilMode: ceil)
        case .tensor(let t) where t.op == .maxPool2d:
            guard let g = t.attributes.spatialGeometry(), g.dilation == (1, 1), g.pads.top == g.pads.bottom,
                  g.pads.left == g.pads.right else { return nil }
            self.init(kernel: g.kernel, stride: g.stride, padding: (g.pads.top, g.pads.left), ceilMode: t.attributes.ceilMode ?? false)
        default:
            return nil
        }
    }

    init(kernel: (h: Int, w: Int), stride: (h: Int, w: Int), padding: (h: Int, w: Int), ceilMode: Bool) {
        self.kernel = kernel; self.stride = stride; self.padding = padding; self.ceilMode = ceilMode
    }

    /// `3x3/2` (and the padding when not the usual k/2 one).
    var label: String {
        let k = kernel.h == kernel.w ? "\(kernel.h)x\(kernel.h)" : "\(kernel.h)x\(kernel.w)"
        let s = stride.h == stride.w ? "\(stride.h)" : "\(stride.h)x\(stride.w)"
        return "max pool \(k)/\(s)" + (padding == (kernel.h / 2, kernel.w / 2) ? "" : " pad \(padding.h),\(padding.w)") + (ceilMode ? " ceil" : "")
    }
}

/// An op of the compiler's graph: the exported ops with constants resolved to tensors.
enum LoweredOp {
    case conv(ConvStep)
    case batchNorm(x: String, weight: Tensor, bias: Tensor, mean: Tensor, variance: Tensor, eps: Float)
    case relu(String)
    case add(String, String)
    case maxPool(x: String, kernel: Int, stride: Int, padding: Int, dilation: Int, ceilMode: Bool)
    case adaptiveAvgPool(x: String, oh: Int, ow: Int)
    /// A view: shares its input's memory.
    case flatten(String)
    case linear(x: String, weight: Tensor, bias: Tensor?)
    /// The ops imported from ONNX beyond the ones above.
    case tensor(TensorStep)

    /// The value whose memory this op's output shares (a view), if any.
    var viewSource: String? {
        switch self {
        case .flatten(let x): x
        case .tensor(let t): t.viewSource
        default: nil
        }
    }

    /// Names of the values the op reads.
    var inputs: [String] {
        switch self {
        case .conv(let c): [c.x] + (c.residual.map { [$0] } ?? []) + (c.inputScale.map { [$0] } ?? [])
        case .batchNorm(let x, _, _, _, _, _), .relu(let x), .flatten(let x): [x]
        case .add(let a, let b): [a, b]
        case .maxPool(let x, _, _, _, _, _), .adaptiveAvgPool(let x, _, _), .linear(let x, _, _): [x]
        case .tensor(let t): t.inputs
        }
    }

    /// The op name used in listings and autotune keys: a tensor step shows its graph op
    /// (`sigmoid`, `avg_pool2d`), every other op its kind.
    var name: String {
        if case .tensor(let t) = self { return t.op.rawValue }
        return kind.rawValue
    }

    /// The same op reading `renamed[v] ?? v` for every input v.
    func renaming(_ renamed: [String: String]) -> LoweredOp {
        func r(_ v: String) -> String { renamed[v] ?? v }
        switch self {
        case .conv(var c):
            c.x = r(c.x)
            c.residual = c.residual.map(r)
            c.inputScale = c.inputScale.map(r)
            return .conv(c)
        case let .batchNorm(x, w, b, m, v, e): return .batchNorm(x: r(x), weight: w, bias: b, mean: m, variance: v, eps: e)
        case .relu(let x): return .relu(r(x))
        case let .add(a, b): return .add(r(a), r(b))
        case let .maxPool(x, k, s, p, d, c): return .maxPool(x: r(x), kernel: k, stride: s, padding: p, dilation: d, ceilMode: c)
        case let .adaptiveAvgPool(x, oh, ow): return .adaptiveAvgPool(x: r(x), oh: oh, ow: ow)
        case .flatten(let x): return .flatten(r(x))
        case let .linear(x, w, b): return .linear(x: r(x), weight: w, bias: b)
        case .tensor(let t): return .tensor(t.renaming(renamed))
        }
    }
}

/// One step of the compiled graph; its output is the value `name` of shape `shape`.
struct LoweredNode {
    var name: String
    var op: LoweredOp
    var shape: [SymDim]
}

/// The graph the passes transform and the code generator emits: inputs, steps in
/// execution order, outputs. Dimension 0 of every value is the batch (symbolic or static);
/// all other dimensions are static.
struct LoweredGraph {
    var inputs: [GraphInput]
    var nodes: [LoweredNode]
    var outputs: [String]
    var ranges: [RangeConstraint]

    /// Shape of every value (inputs and node outputs) by name.
    var shapes: [String: [SymDim]] {
        var out: [String: [SymDim]] = [:]
        for i in inputs { out[i.name] = i.shape }
        for n in nodes { out[n.name] = n.shape }
        return out
    }

    /// How many steps read each value (graph outputs count as a use).
    var useCounts: [String: Int] {
        var uses: [String: Int] = [:]
        for n in nodes { for v in n.op.inputs { uses[v, default: 0] += 1 } }
        for o in outputs { uses[o, default: 0] += 1 }
        return uses
    }

    /// Node index by output name.
    var producers: [String: Int] {
        Dictionary(uniqueKeysWithValues: nodes.enumerated().map { ($1.name, $0) })
    }
}

extension Array where Element == SymDim {
    /// Elements per batch row: the product of dimensions 1… (all static).
    var rowElements: Int { dropFirst().reduce(1) { $0 * ($1.staticValue ?? 1) } }
    /// Static dimensions 1…, e.g. [64, 56, 56].
    var rowShape: [Int] { dropFirst().map { $0.staticValue ?? 1 } }
}
