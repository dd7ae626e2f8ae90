internal import CKilnKernels

/// Swift face of the C kernels in `CKilnKernels` — the only file that calls them.
/// Shapes are checked by the callers (modules, graph interpreter); these wrappers only
/// allocate outputs and translate parameters.
public enum Kernels {
    /// Threads used by Kiln's own kernels (OpenBLAS has its own setting).
    public static var threadCount: Int { Int(kiln_get_num_threads()) }

    /// y = act(conv2d(x, w) + bias + residual). The kernel size is the weight's (the
    /// geometry's `kernel` is not consulted).
    /// x: (N, C, H, W), w: (OC, C/groups, KH, KW), bias: (OC), residual: (N, OC, OH, OW).
    public static func conv2d(_ x: Tensor, weight: Tensor, bias: Tensor?, geometry g: Conv2dGeometry,
                              activation: Activation = .none, residual: Tensor? = nil,
                              reference: Bool = false) throws -> Tensor {
        guard x.rank == 4, weight.rank == 4 else {
            throw ShapeError("conv2d: input \(x.shape) and weight \(weight.shape) must both be 4-D (N, C, H, W) and (OC, C/groups, KH, KW)")
        }
        var p = g.params(input: x.shape, weight: weight.shape, activation: activation)
        guard kiln_conv2d_init(&p) == 0, weight.shape[1] * g.groups == x.shape[1] else {
            throw ShapeError("conv2d: invalid geometry for input \(x.shape) and weight \(weight.shape) (\(g.summary))")
        }
        let y = Tensor(uninitializedShape: [x.shape[0], weight.shape[0], Int(p.oh), Int(p.ow)])
        if let r = residual, r.shape != y.shape {
            throw ShapeError("conv2d: residual of shape \(r.shape) does not match output \(y.shape)")
        }
        if let b = bias, b.shape != [weight.shape[0]] {
            throw ShapeError("conv2d: bias of shape \(b.shape) does not match \(weight.shape[0]) output channels")
        }
        x.withUnsafeBufferPointer { xb in
            weight.withUnsafeBufferPointer { wb in
                withOptionalPointer(bias) { bb in
                    withOptionalPointer(residual) { rb in
                        if reference {
                            kiln_conv2d_ref(&p, xb.baseAddress, wb.baseAddress, bb, rb, y.storage.base)
                        } else {
                            kiln_conv2d(&p, xb.baseAddress, wb.baseAddress, bb, rb, y.storage.base, nil)
                        }
                    }
                }
            }
        }
        return y
    }

    /// Inference batch norm over channel dimension 1. x: (N, C, ...); parameters: (C).
    public static func batchNorm(_ x: Tensor, weight: Tensor, bias: Tensor, mean: Tensor, variance: Tensor,
                                 eps: Float, reference: Bool = false) -> Tensor {
        let n = x.shape[0], c = x.shape[1], hw = x.count / max(n * c, 1)
        let y = Tensor(uninitializedShape: x.shape)
        let f = reference ? kiln_batchnorm_ref : kiln_batchnorm
        f(Int32(n), Int32(c), Int32(hw), x.storage.base, weight.storage.base, bias.storage.base,
          mean.storage.base, variance.storage.base, eps, y.storage.base)
        return y
    }

    /// max(x, 0) elementwise.
    public static func relu(_ x: Tensor, reference: Bool = false) -> Tensor {
        let y = Tensor(uninitializedShape: x.shape)
        (reference ? kiln_relu_ref : kiln_relu)(x.count, x.storage.base, y.storage.base)
        return y
    }

    /// a + b elementwise; shapes must be equal.
    public static func add(_ a: Tensor, _ b: Tensor, reference: Bool = false) throws -> Tensor {
        guard a.shape == b.shape else { throw ShapeError("add: shapes \(a.shape) and \(b.shape) differ") }
        let y = Tensor(uninitializedShape: a.shape)
        (reference ? kiln_add_ref : kiln_add)(a.count, a.storage.base, b.storage.base, y.storage.base)
        return y
    }

    /// Max pooling. x: (N, C, H, W).
    public static func maxPool2d(_ x: Tensor, kernelSize: Int, stride: Int, padding: Int, dilation: Int = 1,
                                 ceilMode: Bool = false, reference: Bool = false) throws -> Tensor {
        var p = kiln_maxpool2d_params()
        p.n = Int32(x.shape[0]); p.c = Int32(x.shape[1]); p.h = Int32(x.shape[2]); p.w = Int32(x.shape[3])
        p.kh = Int32(kernelSize); p.kw = Int32(kernelSize)
        p.stride_h = Int32(stride); p.stride_w = Int32(stride)
        p.pad_h = Int32(padding); p.pad_w = Int32(padding)
        p.dil_h = Int32(dilation); p.dil_w = Int32(dilation)
        p.ceil_mode = ceilMode ? 1 : 0
        guard kiln_maxpool2d_init(&p) == 0 else {
            throw ShapeError("max_pool2d: invalid parameters for input \(x.shape) (kernel \(kernelSize), stride \(stride), padding \(padding))")
        }
        let y = Tensor(uninitializedShape: [x.shape[0], x.shape[1], Int(p.oh), Int(p.ow)])
        if reference { kiln_maxpool2d_ref(&p, x.storage.base, y.storage.base) } else { kiln_maxpool2d(&p, x.storage.base, y.storage.base) }
        return y
    }

    /// Adaptive average pooling to `outputSize`. x: (N, C, H, W).
    public static func adaptiveAvgPool2d(_ x: Tensor, outputSize: (Int, Int), reference: Bool = false) -> Tensor {
        let (oh, ow) = outputSize
        let y = Tensor(uninitializedShape: [x.shape[0], x.shape[1], oh, ow])
        (reference ? kiln_adaptive_avgpool2d_ref : kiln_adaptive_avgpool2d)(
            Int32(x.shape[0]), Int32(x.shape[1]), Int32(x.shape[2]), Int32(x.shape[3]), Int32(oh), Int32(ow),
            x.storage.base, y.storage.base)
        return y
    }

    /// y = x wᵀ + bias. x: (N, IN), w: (OUT, IN), bias: (OUT).
    public static func linear(_ x: Tensor, weight: Tensor, bias: Tensor?, reference: Bool = false) -> Tensor {
        let n = x.shape[0], inF = weight.shape[1], outF = weight.shape[0]
        let y = Tensor(uninitializedShape: [n, outF])
        withOptionalPointer(bias) { bb in
            (reference ? kiln_linear_ref : kiln_linear)(Int32(n), Int32(inF), Int32(outF), x.storage.base,
                                                        weight.storage.base, bb, y.storage.base)
        }
        return y
    }

    static func withOptionalPointer<R>(_ t: Tensor?, _ body: (UnsafePointer<Float>?) -> R) -> R {
        guard let t else { return body(nil) }
        return t.withUnsafeBufferPointer { body($0.baseAddress) }
    }
}
