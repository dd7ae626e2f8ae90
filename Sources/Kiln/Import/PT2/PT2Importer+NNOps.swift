/// Convolution, batch norm, pooling and the dense layers.
extension PT2Importer {
    /// `aten.conv2d(input, weight, bias?, stride, padding, dilation, groups)` and core ATen's
    /// `aten.convolution(…, transposed, output_padding, groups)`.
    func importConv() throws(PT2ImportError) -> PT2Value {
        let x = try tensor("input")
        let w = try constant("weight")
        guard w.tensor.shape.count == 4 else {
            throw unsupported("a \(w.tensor.shape.count - 2)-D convolution (weight \(w.tensor.shape)); Kiln runs 2-D convolutions",
                              fix: "use Conv2d layers, or reshape the data to 2-D before exporting")
        }
        if case .string(let mode)? = arg("padding") {
            throw unsupported("padding=\"\(mode)\"", fix: "give Conv2d explicit integer padding (e.g. padding=1 for a 3×3 kernel)")
        }
        if try bool("transposed", false) {
            throw unsupported("a transposed convolution", fix: "Kiln runs ordinary convolutions; ConvTranspose2d is not supported yet")
        }
        let stride = try ints("stride", [1, 1], count: 2), padding = try ints("padding", [0, 0], count: 2)
        let dilation = try ints("dilation", [1, 1], count: 2)
        let outputPadding = try ints("output_padding", [0, 0], count: 2)
        guard outputPadding == [0, 0] else { throw unsupported("output_padding \(outputPadding) on a convolution", fix: "export without output_padding") }
        let g = SpatialGeometry(kernel: (w.tensor.shape[2], w.tensor.shape[3]), stride: (stride[0], stride[1]),
                                dilation: (dilation[0], dilation[1]), pads: (padding[0], padding[1], padding[0], padding[1]))
        var a = NodeAttributes(groups: try int("groups", 1))
        a.setSpatialGeometry(g, pooling: false)
        var args: [PT2Value] = [x, .constant(w)]
        if let b = try optionalTensor("bias") {
            guard case .constant = b else { throw unsupported("the bias is computed at run time", fix: "keep the bias a parameter") }
            args.append(b)
        }
        return try apply(.conv2d, args, a)
    }

    /// `aten.batch_norm(input, weight?, bias?, running_mean, running_var, training, momentum,
    /// eps, cudnn_enabled)`, or `_native_batch_norm_legit_no_training` without `training`.
    func importBatchNorm(legit: Bool) throws(PT2ImportError) -> PT2Value {
        let x = try tensor("input")
        if !legit, try bool("training", false) {
            throw unsupported("batch normalization in training mode", fix: "export the model in eval mode (model.eval() before torch.export.export)")
        }
        guard let mean = try optionalTensor("running_mean"), let variance = try optionalTensor("running_var") else {
            throw unsupported("batch normalization without running statistics (track_running_stats=False)",
                              fix: "export a model whose BatchNorm layers track running statistics")
        }
        let channels = shape(mean).count == 1 ? shape(mean)[0].staticValue ?? 0 : 0
        let weight = try optionalTensor("weight") ?? .constant(PT2Constant(tensor: .ones([channels]), name: "\(outputName).weight", kind: .parameter, id: "%\(outputName).weight"))
        let bias = try optionalTensor("bias") ?? .constant(PT2Constant(tensor: .zeros([channels]), name: "\(outputName).bias", kind: .parameter, id: "%\(outputName).bias"))
        let eps = try double("eps", 1e-5) ?? 1e-5
        return try apply(.batchNorm, [x, weight, bias, mean, variance], NodeAttributes(eps: Float(eps)))
    }

    var outputName: String { if case .tensor(let n)? = node.outputs.first { n } else { node.name ?? "node" } }

    /// `aten.max_pool2d(self, kernel_size, stride=[], padding=0, dilation=1, ceil_mode=False)`
    /// (and `max_pool2d_with_indices`, whose indices must go unused).
    func importMaxPool() throws(PT2ImportError) -> PT2Value {
        let x = try tensor("self")
        let (k, s, p) = try poolWindow()
        let d = try ints("dilation", [1, 1], count: 2)
        let g = SpatialGeometry(kernel: (k[0], k[1]), stride: (s[0], s[1]), dilation: (d[0], d[1]), pads: (p[0], p[1], p[0], p[1]))
        var a = NodeAttributes(ceilMode: try bool("ceil_mode", false))
        if g.isSquareSymmetric, g.pads.top <= g.kernel.h / 2 { a.setSpatialGeometry(g, pooling: true) } else {
            a.kernelShape = k; a.strides = s; a.pads = [p[0], p[1], p[0], p[1]]; a.dilations = d
        }
        return try apply(.maxPool2d, [x], a)
    }

    /// `aten.avg_pool2d(self, kernel_size, stride=[], padding=0, ceil_mode=False,
    /// count_include_pad=True, divisor_override=None)`.
    func importAvgPool() throws(PT2ImportError) -> PT2Value {
        let x = try tensor("self")
        let (k, s, p) = try poolWindow()
        if try double("divisor_override", nil) != nil {
            throw unsupported("avg_pool2d with divisor_override", fix: "export without divisor_override")
        }
        var a = NodeAttributes(ceilMode: try bool("ceil_mode", false))
        a.kernelShape = k; a.strides = s; a.pads = [p[0], p[1], p[0], p[1]]
        a.countIncludePad = try bool("count_include_pad", true)
        return try apply(.avgPool2d, [x], a)
    }

    /// A 2-D pooling window: kernel_size, stride (empty means the kernel) and padding.
    private func poolWindow() throws(PT2ImportError) -> (kernel: [Int], stride: [Int], padding: [Int]) {
        let k = try ints("kernel_size", [], count: 2)
        var s = try ints("stride", [], count: nil)
        if s.isEmpty { s = k }
        if s.count == 1 { s = [s[0], s[0]] }
        guard s.count == 2 else { throw unsupported("stride \(s)", fix: "Kiln pools 2-D inputs") }
        return (k, s, try ints("padding", [0, 0], count: 2))
    }

    /// `aten.linear(input, weight, bias?)`.
    func importLinear() throws(PT2ImportError) -> PT2Value {
        var args: [PT2Value] = [try tensor("input"), .constant(try constant("weight"))]
        if let b = try optionalTensor("bias") { args.append(b) }
        return try apply(.linear, args)
    }

    /// Core ATen's dense layer: `aten.addmm(bias, x, wᵀ)` (or `aten.mm(x, wᵀ)`), where `wᵀ`
    /// is a permuted weight: taken back as `linear(x, w, bias)`.
    func importAddmm(_ hasBias: Bool) throws(PT2ImportError) -> PT2Value {
        let x = try tensor(hasBias ? "mat1" : "self")
        let wt = try constant("mat2")
        guard wt.tensor.shape.count == 2 else { throw shapeError("the matrix has shape \(wt.tensor.shape), not 2-D") }
        let alpha = try double("alpha", 1), beta = try double("beta", 1)
        if alpha != 1 || beta != 1 {
            throw unsupported("addmm with alpha or beta other than 1", fix: "export nn.Linear layers (alpha = beta = 1)")
        }
        let w: PT2Constant
        if let original = wt.transposeOf.first { w = original } else {
            guard case .constant(let t) = try apply(.transpose, [.constant(wt)], perm([1, 0])) else { throw shapeError("transposing the matrix failed") }
            w = t
        }
        var args: [PT2Value] = [x, .constant(w)]
        if hasBias {
            var b = try constant("self")
            guard b.tensor.shape.reduce(1, *) == w.tensor.shape[0] else {
                throw shapeError("the bias has shape \(b.tensor.shape), the layer \(w.tensor.shape[0]) outputs")
            }
            if b.tensor.shape != [w.tensor.shape[0]] { b.tensor = b.tensor.reshaped([w.tensor.shape[0]]); b.id += "#flat" }
            args.append(.constant(b))
        }
        return try apply(.linear, args)
    }

    func perm(_ p: [Int]) -> NodeAttributes {
        var a = NodeAttributes()
        a.perm = p
        return a
    }
}
