/// A node's attributes. Each op uses a fixed subset (see ``GraphOp``); the others are nil
/// and absent from the JSON (so programs saved before an attribute existed load unchanged).
/// Square sizes (`stride`, `padding`, …) apply to both spatial dimensions; the rectangular
/// forms (`strides` (h, w), `pads` (top, left, bottom, right), …) come from ONNX.
public struct NodeAttributes: Hashable, Sendable, Codable {
    public var stride: Int?
    public var padding: Int?
    public var dilation: Int?
    public var groups: Int?
    /// Pooling window size.
    public var kernel: Int?
    public var eps: Float?
    public var ceilMode: Bool?
    /// (height, width) of `adaptive_avg_pool2d`'s output.
    public var outputSize: [Int]?
    public var startDim: Int?
    /// Pooling window (h, w).
    public var kernelShape: [Int]?
    /// (h, w).
    public var strides: [Int]?
    /// 2-D ops: (top, left, bottom, right); `pad`: every dimension's begin, then every end.
    public var pads: [Int]?
    /// (h, w).
    public var dilations: [Int]?
    public var countIncludePad: Bool?
    /// `clip`'s bounds.
    public var min: Float?
    public var max: Float?
    /// `leaky_relu`'s slope, `hard_sigmoid`'s a, `lrn`'s alpha, `elu`'s and `selu`'s alpha.
    public var alpha: Float?
    /// `hard_sigmoid`'s b, `lrn`'s beta, `selu`'s gamma.
    public var beta: Float?
    /// `lrn`'s bias (k).
    public var bias: Float?
    /// `lrn`'s window.
    public var size: Int?
    public var axis: Int?
    public var axes: [Int]?
    public var keepDims: Bool?
    public var perm: [Int]?
    /// `reshape`'s target: 0 keeps the input's dimension, -1 is inferred.
    public var shape: [Int]?
    public var starts: [Int]?
    public var ends: [Int]?
    public var steps: [Int]?
    /// `pad`'s mode: constant, reflect or edge.
    public var mode: String?
    /// `pad`'s constant.
    public var value: Float?

    public init(stride: Int? = nil, padding: Int? = nil, dilation: Int? = nil, groups: Int? = nil, kernel: Int? = nil,
                eps: Float? = nil, ceilMode: Bool? = nil, outputSize: [Int]? = nil, startDim: Int? = nil) {
        self.stride = stride; self.padding = padding; self.dilation = dilation; self.groups = groups
        self.kernel = kernel; self.eps = eps; self.ceilMode = ceilMode; self.outputSize = outputSize
        self.startDim = startDim
    }

    enum CodingKeys: String, CodingKey, CaseIterable {
        case stride, padding, dilation, groups, kernel, eps
        case ceilMode = "ceil_mode", outputSize = "output_size", startDim = "start_dim"
        case kernelShape = "kernel_shape", strides, pads, dilations, countIncludePad = "count_include_pad"
        case min, max, alpha, beta, bias, size, axis, axes, keepDims = "keepdims", perm, shape
        case starts, ends, steps, mode, value
    }

    /// JSON names of the attributes that are set.
    var presentNames: [String] {
        let values: [CodingKeys: Any?] = [
            .stride: stride, .padding: padding, .dilation: dilation, .groups: groups, .kernel: kernel, .eps: eps,
            .ceilMode: ceilMode, .outputSize: outputSize, .startDim: startDim, .kernelShape: kernelShape,
            .strides: strides, .pads: pads, .dilations: dilations, .countIncludePad: countIncludePad,
            .min: min, .max: max, .alpha: alpha, .beta: beta, .bias: bias, .size: size, .axis: axis, .axes: axes,
            .keepDims: keepDims, .perm: perm, .shape: shape, .starts: starts, .ends: ends, .steps: steps,
            .mode: mode, .value: value,
        ]
        return CodingKeys.allCases.filter { values[$0].map { $0 != nil } ?? false }.map(\.rawValue)
    }

    /// Every integer attribute, for the size limit of shape inference.
    var allIntegers: [Int] {
        [stride, padding, dilation, groups, kernel, startDim, size, axis].compactMap { $0 }
            + [outputSize, kernelShape, strides, pads, dilations, axes, perm, shape, starts, ends, steps].compactMap { $0 }.flatMap { $0 }
    }
}

/// The window of a 2-D convolution or pooling: kernel (h, w), strides, dilations and the
/// four pads, from either the square or the rectangular attributes.
struct SpatialGeometry: Hashable, Sendable {
    var kernel: (h: Int, w: Int)
    var stride: (h: Int, w: Int)
    var dilation: (h: Int, w: Int)
    /// (top, left, bottom, right).
    var pads: (top: Int, left: Int, bottom: Int, right: Int)

    /// Square and symmetric: expressible by the original `stride`/`padding`/`dilation`.
    var isSquareSymmetric: Bool {
        kernel.h == kernel.w && stride.h == stride.w && dilation.h == dilation.w
            && pads.top == pads.left && pads.top == pads.bottom && pads.top == pads.right
    }

    static func == (a: Self, b: Self) -> Bool {
        a.kernel == b.kernel && a.stride == b.stride && a.dilation == b.dilation && a.pads == b.pads
    }

    func hash(into h: inout Hasher) {
        for v in [kernel.h, kernel.w, stride.h, stride.w, dilation.h, dilation.w, pads.top, pads.left, pads.bottom, pads.right] {
            h.combine(v)
        }
    }
}

extension NodeAttributes {
    /// The op's window. `kernel` is the weight's (h, w) for a convolution, nil for pooling
    /// (which reads `kernel`/`kernel_shape`). Nil when neither form is complete.
    func spatialGeometry(kernel weightKernel: (Int, Int)? = nil) -> SpatialGeometry? {
        let k: (Int, Int)
        if let weightKernel { k = weightKernel } else if let ks = kernelShape, ks.count == 2 { k = (ks[0], ks[1]) }
        else if let kernel { k = (kernel, kernel) } else { return nil }
        if let s = strides ?? stride.map({ [$0, $0] }), s.count == 2,
           let p = pads ?? padding.map({ [$0, $0, $0, $0] }), p.count == 4 {
            let d = dilations ?? dilation.map { [$0, $0] } ?? [1, 1]
            guard d.count == 2 else { return nil }
            return SpatialGeometry(kernel: k, stride: (s[0], s[1]), dilation: (d[0], d[1]), pads: (p[0], p[1], p[2], p[3]))
        }
        return nil
    }

    /// Sets the square attributes when `g` is square and symmetric (as Kiln's own models
    /// record them), the rectangular ones otherwise.
    mutating func setSpatialGeometry(_ g: SpatialGeometry, pooling: Bool) {
        if g.isSquareSymmetric {
            stride = g.stride.h; padding = g.pads.top; dilation = g.dilation.h
            if pooling { kernel = g.kernel.h }
        } else {
            strides = [g.stride.h, g.stride.w]; pads = [g.pads.top, g.pads.left, g.pads.bottom, g.pads.right]
            dilations = [g.dilation.h, g.dilation.w]
            if pooling { kernelShape = [g.kernel.h, g.kernel.w] }
        }
    }
}
