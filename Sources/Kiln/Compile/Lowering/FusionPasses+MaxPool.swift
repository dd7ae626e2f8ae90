internal import CKilnKernels

extension FusionPasses {
    /// `maxpool(conv(…))` with the convolution on the stem kernel — ResNet's conv1 (with its
    /// folded batch norm and ReLU) and the 3×3 stride-2 pool after it — becomes one step
    /// (`kiln_conv2d_stem_maxpool`), which pools the convolution's rows as it computes them, so
    /// the convolution's output, the network's largest activation (3.2 MB per image), is
    /// never written: the arena loses it and the pool does not read it back. Runs after
    /// algorithm selection (it needs the stem kernel), only where the convolution has no
    /// residual, input scale or large-batch switch and its output no other reader, and only
    /// for the pools the fused kernel takes (`kiln_conv2d_stem_maxpool_applicable`).
    static func fuseMaxPool(_ graph: LoweredGraph) -> LoweredGraph {
        var g = graph
        var i = 0
        while i < g.nodes.count {
            guard let spec = MaxPoolSpec(g.nodes[i].op), let x = g.nodes[i].op.inputs.first,
                  g.useCounts[x] == 1, !g.outputs.contains(x), let p = g.producers[x], case var .conv(c) = g.nodes[p].op,
                  c.algorithm == .stem, c.largeBatch.isEmpty, c.residual == nil, c.inputScale == nil, c.pool == nil,
                  let row = g.shapes[c.x]?.rowShape,
                  spec.fusesIntoStem(of: c, inputRow: row, output: g.nodes[i].shape.rowShape) else { i += 1; continue }
            // The fused step takes the pool's name: its value is the pool's, and the readers,
            // the generated comments and the profile keep calling it that.
            c.pool = spec
            c.fused.append(g.nodes[i].name)
            g.nodes[p].op = .conv(c)
            g.nodes[p].name = g.nodes[i].name
            g.nodes[p].shape = g.nodes[i].shape
            g.nodes.remove(at: i)
        }
        return g
    }
}

extension MaxPoolSpec {
    /// The pool over a convolution's output `conv` (initialised), as `kiln_maxpool2d_params`
    /// (initialised: its output size set), or nil when the pool is invalid there.
    func params(over conv: kiln_conv2d_params) -> kiln_maxpool2d_params? {
        var q = kiln_maxpool2d_params(n: conv.n, c: conv.oc, h: conv.oh, w: conv.ow, kh: Int32(kernel.h), kw: Int32(kernel.w),
                                      stride_h: Int32(stride.h), stride_w: Int32(stride.w), pad_h: Int32(padding.h),
                                      pad_w: Int32(padding.w), dil_h: 1, dil_w: 1, ceil_mode: ceilMode ? 1 : 0, oh: 0, ow: 0)
        return kiln_maxpool2d_init(&q) == 0 ? q : nil
    }

    /// Whether the stem kernel can pool its own output with this pool (`c` on one image of
    /// `inputRow`), giving the pool step's `output` row shape: a pool whose size rule differs
    /// from `kiln_maxpool2d_init`'s (ONNX's ceil mode) stays a separate step.
    func fusesIntoStem(of c: ConvStep, inputRow: [Int], output: [Int]) -> Bool {
        guard inputRow.count == 3, c.weight.rank == 4 else { return false }
        var p = Kernels.convParams([1] + inputRow, weight: c.weight.shape, c.geometry)
        guard kiln_conv2d_init(&p) == 0, var q = params(over: p), output == [Int(q.c), Int(q.oh), Int(q.ow)] else { return false }
        return kiln_conv2d_stem_maxpool_applicable(&p, &q) != 0
    }
}
