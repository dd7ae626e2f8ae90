import CKilnKernels
import Testing

/// Winograd F(2×2, 3×3) with bf16 GEMMs (`kiln_conv2d_winograd_f2x3_bf16`) against its naive
/// twin (`kiln_conv2d_winograd_f2x3_bf16_ref`: the same transformed operands rounded to bf16,
/// double sums, one tile at a time), on every pair of paths: AVX-512 or portable transforms ×
/// AVX512_BF16 or portable GEMM microkernel.
///
/// Tolerances, stated:
/// - against the twin: `KernelCheck`'s 1e-4 · max(1, max |ref|). The twin computes v = Bᵀ d B
///   in the operation order of the transforms that run (the AVX-512 ones combine columns
///   first), so v rounds to the same bf16 and only fp32 vs double summation differs (in
///   another order an fp32 v one ulp away can round to the neighbouring bf16: up to 1.3e-3 ·
///   max |ref| with C = 3);
/// - against the fp32 convolution (`kiln_conv2d_ref`): 1e-2 · max |ref| where the output has
///   a scale (K = 9C ≥ 64, ≥ 256 outputs, no squashing activation): the transformed operands'
///   rounding, ~1.5× a direct bf16 product's (measured up to 4.9e-3 on standard normals).
/// Not serialized: the portable switches belong to the calling thread (kiln_thread_set_switch).
@Suite struct WinogradBF16KernelTests {
    static let fp32Tolerance: Float = 1e-2

    static var paths: [(name: String, portableTransforms: Int32, portableGemm: Int32)] {
        let fast: [Int32] = kiln_cpu_has_avx512_bf16() != 0 ? [0, 1] : [1]
        return [0, 1].flatMap { t in fast.map { g in ("transforms \(t == 0 ? "avx512" : "portable"), gemm \(g == 0 ? "avx512_bf16" : "portable")", Int32(t), g) } }
    }

    static func check(_ p: kiln_conv2d_params, _ useBias: Bool, _ useResidual: Bool, _ seed: Int, _ path: String) -> String? {
        var p = p
        let (x, w, bias, residual, yCount) = GemmBF16KernelTests.convInputs(p, bias: useBias, residual: useResidual, seed: seed)
        var packed = KernelCheck.guarded(kiln_winograd_f2x3_bf16_packed_size(p.oc, p.c))
        kiln_winograd_f2x3_bf16_pack(p.oc, p.c, w, &packed)
        var ws = KernelCheck.guarded(kiln_winograd_f2x3_bf16_workspace_size(&p))
        var twin = KernelCheck.guarded(yCount), fast = twin, fp32 = twin
        kiln_conv2d_winograd_f2x3_bf16_ref(&p, x, w, bias, residual, &twin)
        kiln_conv2d_ref(&p, x, w, bias, residual, &fp32)
        kiln_conv2d_winograd_f2x3_bf16(&p, x, packed, bias, residual, &fast, &ws)
        let name = "winograd_f2x3_bf16[\(path)] " + ConvKernelTests.describe(p, bias: useBias, residual: useResidual)
        if !KernelCheck.guardIntact(packed, count: packed.count - KernelCheck.guardCount) { return name + ": pack wrote past its size" }
        if !KernelCheck.guardIntact(ws, count: ws.count - KernelCheck.guardCount) { return name + ": wrote past the workspace" }
        if !KernelCheck.guardIntact(fast, count: yCount) { return name + ": wrote past y" }
        if let f = KernelCheck.mismatch(fast, twin, count: yCount, params: name + " vs twin") { return f }
        let (df, maxRef) = KernelCheck.difference(fast, fp32, count: yCount)
        let hasScale = p.c * 9 >= 64 && yCount >= 256 && (p.act.kind == Int32(KILN_ACT_NONE.rawValue) || p.act.kind == Int32(KILN_ACT_RELU.rawValue))
        if hasScale && !(df <= fp32Tolerance * maxRef) { return "\(name) vs fp32: max |Δ| \(df) > \(fp32Tolerance) · max |ref| \(maxRef)" }
        return nil
    }

    /// Pads 0–2 (outputs wider or narrower than the input), odd and even outputs (a half tile
    /// at the edge), 1-wide images, narrow ones (2–7 tiles per row: several tile rows per
    /// vector) and wide ones (more than 16 tiles per row), channel counts off the GEMM's pairs
    /// (odd C) and panels (OC 5, 33, 70, 130), batches that fill several blocks.
    @Test func matchesTwinAndFP32() {
        var shapes: [kiln_conv2d_params] = []
        for n in [1, 3] { for (c, oc) in [(3, 5), (16, 33), (9, 70)] { for (h, w) in [(5, 5), (11, 10), (4, 1), (9, 40)] {
            for (pad, end) in [((1, 1), (1, 1)), ((0, 0), (0, 0)), ((0, 2), (2, 0))] {
                shapes.append(ConvKernelTests.params(n: n, c: c, h: h, w: w, oc: oc, k: (3, 3), pad: pad, padEnd: end))
            }
        } } }
        shapes += [
            ConvKernelTests.params(n: 1, c: 64, h: 14, w: 14, oc: 64, k: (3, 3), pad: (1, 1), relu: true),
            ConvKernelTests.params(n: 2, c: 128, h: 7, w: 7, oc: 40, k: (3, 3), pad: (1, 1), relu: true),
            ConvKernelTests.params(n: 2, c: 32, h: 28, w: 28, oc: 24, k: (3, 3), pad: (1, 1)),
            ConvKernelTests.params(n: 4, c: 20, h: 9, w: 13, oc: 130, k: (3, 3), pad: (1, 1)),
            ConvKernelTests.params(n: 1, c: 256, h: 3, w: 3, oc: 64, k: (3, 3), pad: (1, 1), relu: true),
        ]
        defer { kiln_winograd_force_portable(0); kiln_gemm_bf16_force_portable(0) }
        var failures: [String] = [], cases = 0
        for path in Self.paths {
            kiln_winograd_force_portable(path.portableTransforms)
            kiln_gemm_bf16_force_portable(path.portableGemm)
            for var p in shapes {
                guard kiln_conv2d_init(&p) == 0, kiln_winograd_f2x3_applicable(&p) != 0 else { continue }
                cases += 1
                let epi = cases % 16
                if p.act.kind == Int32(KILN_ACT_NONE.rawValue) { p.act = GemmBF16KernelTests.activations[epi >> 2].act }
                if let f = Self.check(p, epi & 1 != 0, epi & 2 != 0, cases, path.name) { failures.append(f) }
            }
        }
        #expect(cases > 100, "only \(cases) valid shapes")
        KernelCheck.record(failures)
    }

    /// The twin itself is the convolution: on inputs and weights whose transforms are exact in
    /// bf16 (small integers, so u = G g Gᵀ has at most 8 significant bits after the halving),
    /// it equals the fp32 reference to rounding.
    @Test func twinIsTheConvolutionOnExactOperands() {
        var p = ConvKernelTests.params(n: 2, c: 5, h: 7, w: 6, oc: 9, k: (3, 3), pad: (1, 1))
        _ = kiln_conv2d_init(&p)
        let x = (0..<Int(p.n * p.c * p.h * p.w)).map { Float($0 % 7) - 3 }
        let w = (0..<Int(p.oc * p.c * 9)).map { Float($0 % 5) - 2 }
        var twin = [Float](repeating: .nan, count: Int(p.n * p.oc * p.oh * p.ow)), ref = twin
        kiln_conv2d_winograd_f2x3_bf16_ref(&p, x, w, nil, nil, &twin)
        kiln_conv2d_ref(&p, x, w, nil, nil, &ref)
        #expect(KernelCheck.difference(twin, ref, count: ref.count).diff == 0)
    }
}
