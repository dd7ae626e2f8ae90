internal import CKilnKernels

/// Convolution geometry, as in `torch.nn.Conv2d` and ONNX `Conv`: rectangular kernels,
/// strides and dilations, and four pads (ONNX's asymmetric `pads`).
public struct Conv2dGeometry: Sendable, Hashable {
    public var kernel: (h: Int, w: Int)
    public var stride: (h: Int, w: Int)
    public var dilation: (h: Int, w: Int)
    public var pads: (top: Int, left: Int, bottom: Int, right: Int)
    public var groups: Int

    /// Square kernel, symmetric padding (`torch.nn.Conv2d`'s integer arguments).
    public init(kernelSize: Int, stride: Int = 1, padding: Int = 0, dilation: Int = 1, groups: Int = 1) {
        self.init(kernel: (kernelSize, kernelSize), stride: (stride, stride), dilation: (dilation, dilation),
                  pads: (padding, padding, padding, padding), groups: groups)
    }

    public init(kernel: (h: Int, w: Int), stride: (h: Int, w: Int) = (1, 1), dilation: (h: Int, w: Int) = (1, 1),
                pads: (top: Int, left: Int, bottom: Int, right: Int) = (0, 0, 0, 0), groups: Int = 1) {
        self.kernel = kernel; self.stride = stride; self.dilation = dilation; self.pads = pads; self.groups = groups
    }

    public var kh: Int { kernel.h }
    public var kw: Int { kernel.w }
    /// The top pad: PyTorch's `padding` when the geometry is symmetric (``isSquare``).
    public var padding: Int { pads.top }
    /// Square kernel, equal strides, dilations and pads: what `torch.nn.Conv2d(int…)` makes.
    public var isSquare: Bool {
        kernel.h == kernel.w && stride.h == stride.w && dilation.h == dilation.w &&
            pads.top == pads.left && pads.top == pads.bottom && pads.top == pads.right
    }

    /// Output spatial size for an input of `h`×`w` (may be < 1 when the input is too small).
    public func outputSize(h: Int, w: Int) -> (Int, Int) {
        (Int(kiln_conv_out_dim2(Int32(h), Int32(kernel.h), Int32(stride.h), Int32(pads.top), Int32(pads.bottom), Int32(dilation.h))),
         Int(kiln_conv_out_dim2(Int32(w), Int32(kernel.w), Int32(stride.w), Int32(pads.left), Int32(pads.right), Int32(dilation.w))))
    }

    /// `stride 2 pad 1 dil 1 groups 32` for square geometries, each pair or quadruple otherwise.
    var summary: String {
        if isSquare { return "stride \(stride.h) pad \(pads.top) dil \(dilation.h) groups \(groups)" }
        return "kernel \(kernel.h)x\(kernel.w) stride \(stride.h),\(stride.w) pads \(pads.top),\(pads.left),\(pads.bottom),\(pads.right) dil \(dilation.h),\(dilation.w) groups \(groups)"
    }

    private var fields: [Int] {
        [kernel.h, kernel.w, stride.h, stride.w, dilation.h, dilation.w, pads.top, pads.left, pads.bottom, pads.right, groups]
    }
    public static func == (a: Self, b: Self) -> Bool { a.fields == b.fields }
    public func hash(into h: inout Hasher) { h.combine(fields) }

    /// The kernels' parameters for input `x` (N, C, H, W) and weight `w` (OC, C/g, KH, KW).
    func params(input x: [Int], weight w: [Int], activation: Activation = .none) -> kiln_conv2d_params {
        var p = kiln_conv2d_params()
        p.n = Int32(x[0]); p.c = Int32(x[1]); p.h = Int32(x[2]); p.w = Int32(x[3])
        p.oc = Int32(w[0]); p.kh = Int32(w[2]); p.kw = Int32(w[3])
        p.stride_h = Int32(stride.h); p.stride_w = Int32(stride.w)
        p.pad_h = Int32(pads.top); p.pad_w = Int32(pads.left); p.pad_b = Int32(pads.bottom); p.pad_r = Int32(pads.right)
        p.dil_h = Int32(dilation.h); p.dil_w = Int32(dilation.w)
        p.groups = Int32(groups)
        p.act = activation.c
        return p
    }
}
