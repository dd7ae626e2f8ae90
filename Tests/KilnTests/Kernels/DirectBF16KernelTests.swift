import CKilnKernels
import Testing

/// The implicit-GEMM bf16 convolution (`kiln_conv2d_direct_bf16`) against its naive twin
/// (`kiln_conv2d_direct_bf16_ref`: x and w rounded to bf16, double sums), on every path of
/// ``GemmBF16KernelTests/paths``: the AVX512_BF16 microkernel (when the CPU has it), the AMX
/// tiles (`kiln_conv_direct_bf16_amx.c` and, for at most 4 input channels, its narrow variant;
/// emulated on any AVX512_BF16 CPU, real where the CPU has AMX-BF16) and the portable loops,
/// all over the same packed weights.
///
/// Tolerances, as ``GemmBF16KernelTests``: against the twin `KernelCheck`'s 1e-4 ·
/// max(1, max |ref|) (same rounding of the operands; only fp32 vs double summation order
/// differs); against the fp32 convolution |Δ| ≤ 2⁻⁷ · Σ|x||w| + that tolerance per element,
/// and the network's contract 5e-3 · max |ref| where the output is large enough to have a
/// scale. The twin itself is checked against `kiln_conv2d_ref` on bf16-rounded inputs.
/// Not serialized: the portable switches belong to the calling thread (kiln_thread_set_switch).
@Suite struct DirectBF16KernelTests {
    static func check(_ p: kiln_conv2d_params, _ useBias: Bool, _ useResidual: Bool, _ seed: Int, _ path: String) -> String? {
        var p = p
        let (x, w, bias, residual, yCount) = GemmBF16KernelTests.convInputs(p, bias: useBias, residual: useResidual, seed: seed)
        var packed = KernelCheck.guarded(kiln_conv2d_direct_bf16_packed_size(&p))
        kiln_conv2d_direct_bf16_pack(&p, w, &packed)
        var twin = KernelCheck.guarded(yCount), fast = twin, fp32 = twin, rounded = twin
        kiln_conv2d_direct_bf16_ref(&p, x, w, bias, residual, &twin)
        kiln_conv2d_ref(&p, GemmBF16KernelTests.bf16(x), GemmBF16KernelTests.bf16(w), bias, residual, &rounded)
        kiln_conv2d_ref(&p, x, w, bias, residual, &fp32)
        kiln_conv2d_direct_bf16(&p, x, packed, bias, residual, &fast)
        let name = "direct_bf16[\(path)] " + ConvKernelTests.describe(p, bias: useBias, residual: useResidual)
        if !KernelCheck.guardIntact(packed, count: packed.count - KernelCheck.guardCount) { return name + ": pack wrote past its size" }
        if !KernelCheck.guardIntact(fast, count: yCount) { return name + ": wrote past y" }
        if let f = KernelCheck.mismatch(twin, rounded, count: yCount, params: name + " twin vs kiln_conv2d_ref(bf16 inputs)") { return f }
        if let f = KernelCheck.mismatch(fast, twin, count: yCount, params: name + " vs twin") { return f }
        var bound = fast, q = p
        q.act = GemmBF16KernelTests.activations[0].act
        kiln_conv2d_ref(&q, x.map(abs), w.map(abs), nil, nil, &bound)
        let keepsScale = p.act.kind == Int32(KILN_ACT_NONE.rawValue) || p.act.kind == Int32(KILN_ACT_RELU.rawValue)
        return GemmBF16KernelTests.contractProblem(fast, fp32, bound: bound, count: yCount, k: Int(p.c * p.kh * p.kw),
                                                   outputs: yCount, keepsScale: keepsScale, valid: { _ in true }, name: name)
    }

    /// Strides 1 and 2 over kernels 1/3/5 (and 1x3), symmetric and asymmetric pads, dilation 2,
    /// odd channel counts (a half-empty last pair), output channels off the 64-channel panel
    /// and its 16-lane vectors (5, 33, 70, 130), widths from 1 to 20 (6-pixel tiles spanning
    /// rows, or a 1-pixel remainder), small batches (paired once, split in blocks) and larger
    /// ones (one image per task).
    @Test func matchesTwinAndContract() {
        var shapes: [kiln_conv2d_params] = []
        for n in [1, 5] { for (c, oc) in [(3, 5), (8, 16), (9, 33)] { for (h, w) in [(11, 10), (4, 1), (6, 20)] {
            for (k, pad, end) in [((1, 1), (0, 0), (0, 0)), ((3, 3), (1, 1), (1, 1)), ((3, 3), (0, 2), (2, 0)),
                                  ((5, 5), (2, 2), (2, 2)), ((1, 3), (0, 1), (0, 1))] {
                for stride in [1, 2] {
                    shapes.append(ConvKernelTests.params(n: n, c: c, h: h, w: w, oc: oc, k: k, stride: (stride, stride), pad: pad, padEnd: end))
                }
            }
        } } }
        shapes += [
            ConvKernelTests.params(n: 2, c: 6, h: 9, w: 8, oc: 12, k: (3, 3), pad: (2, 2), dil: (2, 2)),
            ConvKernelTests.params(n: 1, c: 64, h: 14, w: 14, oc: 64, k: (3, 3), pad: (1, 1), relu: true),
            ConvKernelTests.params(n: 1, c: 128, h: 7, w: 7, oc: 40, k: (3, 3), pad: (1, 1), relu: true),
            ConvKernelTests.params(n: 4, c: 32, h: 28, w: 28, oc: 24, k: (3, 3), pad: (1, 1)),
            ConvKernelTests.params(n: 1, c: 16, h: 9, w: 9, oc: 70, k: (3, 3), pad: (1, 1), relu: true),
            ConvKernelTests.params(n: 2, c: 10, h: 15, w: 13, oc: 130, k: (3, 3), stride: (2, 2), pad: (1, 1)),
            // A 7x7 stride-2 stem (the narrow AMX path: one K step per kernel row), and a kernel
            // wider than one K step of 8 taps.
            ConvKernelTests.params(n: 1, c: 3, h: 23, w: 37, oc: 64, k: (7, 7), stride: (2, 2), pad: (3, 3), relu: true),
            ConvKernelTests.params(n: 2, c: 2, h: 6, w: 20, oc: 17, k: (3, 9), pad: (1, 4)),
            // 1x1 stride 2 (the AMX path blocks one of four stride phases) with a partial block
            // of channel pairs.
            ConvKernelTests.params(n: 1, c: 40, h: 14, w: 14, oc: 48, k: (1, 1), stride: (2, 2)),
        ]
        let (cases, failures) = GemmBF16KernelTests.sweepConv(shapes, applies: { kiln_conv2d_direct_bf16_applicable(&$0) != 0 },
                                                              check: Self.check)
        #expect(cases > 150, "only \(cases) valid shapes")
        KernelCheck.record(failures)
    }

    /// One-group convolutions of any stride (each output pixel has its own offset into the
    /// paired input); not grouped ones.
    @Test func applicability() {
        var s1 = ConvKernelTests.params(n: 1, c: 4, h: 8, w: 8, oc: 4, k: (3, 3), pad: (1, 1))
        var s2 = ConvKernelTests.params(n: 1, c: 4, h: 8, w: 8, oc: 4, k: (3, 3), stride: (2, 2), pad: (1, 1))
        var g2 = ConvKernelTests.params(n: 1, c: 4, h: 8, w: 8, oc: 4, k: (3, 3), pad: (1, 1), groups: 2)
        _ = kiln_conv2d_init(&s1); _ = kiln_conv2d_init(&s2); _ = kiln_conv2d_init(&g2)
        #expect(kiln_conv2d_direct_bf16_applicable(&s1) == 1)
        #expect(kiln_conv2d_direct_bf16_applicable(&s2) == 1)
        #expect(kiln_conv2d_direct_bf16_applicable(&g2) == 0)
    }
}
