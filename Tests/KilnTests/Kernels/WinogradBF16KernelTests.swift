import CKilnKernels
import Testing

/// Winograd with bf16 GEMMs — F(2×2, 3×3) (`kiln_conv2d_winograd_f2x3_bf16`) and F(4×4, 3×3)
/// (`kiln_conv2d_winograd_f4x3_bf16`) — against their naive twins (`…_ref`: the same
/// transformed operands rounded to bf16, double sums, one tile at a time), on the AVX-512
/// transforms before every GEMM path (AVX512_BF16, AMX emulated and real, portable) and the
/// portable transforms before the first and the portable GEMM (``paths``).
///
/// Tolerances, stated (per variant, ``Variant``):
/// - F(2,3) against its twin: `KernelCheck`'s 1e-4 · max(1, max |ref|). The twin computes
///   v = Bᵀ d B in the operation order of the transforms that run (the AVX-512 ones combine
///   columns first), so v rounds to the same bf16 and only fp32 vs double summation differs
///   (in another order an fp32 v one ulp away can round to the neighbouring bf16: up to
///   1.3e-3 · max |ref| with C = 3);
/// - F(4,3) against its twin: 6e-2 · max(1, max |ref|). Its twin computes v in double (the
///   fast transforms use fused multiply-adds), so a v one fp32 ulp from a bf16 rounding
///   boundary can round the other way, and F(4,3)'s Aᵀ (entries up to 8, 64 in 2-D) carries
///   that one bf16 ulp to y: measured up to 2.4e-2 on these shapes, the largest where a
///   squashing activation keeps max |ref| at 1 (a lost channel or a misplaced tile is of the
///   order of max |ref|);
/// - against the fp32 convolution (`kiln_conv2d_ref`), where the output has a scale (K = 9C ≥
///   64, ≥ 256 outputs, no squashing activation): F(2,3) 1e-2 · max |ref| (~1.5× a direct bf16
///   product's rounding, measured up to 4.9e-3 on standard normals); F(4,3) 1.5e-1 (its
///   transforms amplify the rounding: measured 5–9e-2 on standard normals).
/// Not serialized: the portable switches belong to the calling thread (kiln_thread_set_switch).
@Suite struct WinogradBF16KernelTests {
    /// One Winograd bf16 kernel: its C entry points and tolerances.
    struct Variant: Sendable {
        let name: String
        let packedSize: @Sendable (Int32, Int32) -> Int
        let pack: @Sendable (Int32, Int32, UnsafePointer<Float>, UnsafeMutablePointer<Float>) -> Void
        let workspace: @Sendable (UnsafePointer<kiln_conv2d_params>) -> Int
        let applicable: @Sendable (UnsafePointer<kiln_conv2d_params>) -> Bool
        let run: @Sendable (UnsafePointer<kiln_conv2d_params>, UnsafePointer<Float>, UnsafePointer<Float>, UnsafePointer<Float>?,
                            UnsafePointer<Float>?, UnsafeMutablePointer<Float>, UnsafeMutablePointer<Float>) -> Void
        let ref: @Sendable (UnsafePointer<kiln_conv2d_params>, UnsafePointer<Float>, UnsafePointer<Float>, UnsafePointer<Float>?,
                            UnsafePointer<Float>?, UnsafeMutablePointer<Float>) -> Void
        let twinTolerance: Float
        let fp32Tolerance: Float
    }

    static let f2x3 = Variant(
        name: "winograd_f2x3_bf16", packedSize: { kiln_winograd_f2x3_bf16_packed_size($0, $1) },
        pack: { kiln_winograd_f2x3_bf16_pack($0, $1, $2, $3) }, workspace: { kiln_winograd_f2x3_bf16_workspace_size($0) },
        applicable: { kiln_winograd_f2x3_applicable($0) != 0 },
        run: { kiln_conv2d_winograd_f2x3_bf16($0, $1, $2, $3, $4, $5, $6) },
        ref: { kiln_conv2d_winograd_f2x3_bf16_ref($0, $1, $2, $3, $4, $5) }, twinTolerance: 1e-4, fp32Tolerance: 1e-2)
    static let f4x3 = Variant(
        name: "winograd_f4x3_bf16", packedSize: { kiln_winograd_f4x3_bf16_packed_size($0, $1) },
        pack: { kiln_winograd_f4x3_bf16_pack($0, $1, $2, $3) }, workspace: { kiln_winograd_f4x3_bf16_workspace_size($0) },
        applicable: { kiln_winograd_f4x3_applicable($0) != 0 },
        run: { kiln_conv2d_winograd_f4x3_bf16($0, $1, $2, $3, $4, $5, $6) },
        ref: { kiln_conv2d_winograd_f4x3_bf16_ref($0, $1, $2, $3, $4, $5) }, twinTolerance: 6e-2, fp32Tolerance: 1.5e-1)

    /// Every GEMM path (GemmBF16KernelTests.paths) after the AVX-512 transforms, and the
    /// portable transforms before the first GEMM path and the portable one.
    static var paths: [(name: String, portableTransforms: Int32, gemm: GemmBF16KernelTests.Path)] {
        let gemms = GemmBF16KernelTests.paths
        let withPortable = gemms.filter { $0.name == "portable" || $0.name == gemms[0].name }
        return gemms.map { ("transforms avx512, gemm \($0.name)", 0, $0) }
            + withPortable.map { ("transforms portable, gemm \($0.name)", 1, $0) }
    }

    static func check(_ v: Variant, _ p: kiln_conv2d_params, _ useBias: Bool, _ useResidual: Bool, _ seed: Int, _ path: String) -> String? {
        var p = p
        let (x, w, bias, residual, yCount) = GemmBF16KernelTests.convInputs(p, bias: useBias, residual: useResidual, seed: seed)
        var packed = KernelCheck.guarded(v.packedSize(p.oc, p.c))
        v.pack(p.oc, p.c, w, &packed)
        var ws = KernelCheck.guarded(v.workspace(&p))
        var twin = KernelCheck.guarded(yCount), fast = twin, fp32 = twin
        v.ref(&p, x, w, bias, residual, &twin)
        kiln_conv2d_ref(&p, x, w, bias, residual, &fp32)
        v.run(&p, x, packed, bias, residual, &fast, &ws)
        let name = "\(v.name)[\(path)] " + ConvKernelTests.describe(p, bias: useBias, residual: useResidual)
        if !KernelCheck.guardIntact(packed, count: packed.count - KernelCheck.guardCount) { return name + ": pack wrote past its size" }
        if !KernelCheck.guardIntact(ws, count: ws.count - KernelCheck.guardCount) { return name + ": wrote past the workspace" }
        if !KernelCheck.guardIntact(fast, count: yCount) { return name + ": wrote past y" }
        let (dt, maxTwin) = KernelCheck.difference(fast, twin, count: yCount)
        if !(dt <= v.twinTolerance * max(1, maxTwin)) { return "\(name) vs twin: max |Δ| \(dt) > \(v.twinTolerance) · max(1, max |ref| \(maxTwin))" }
        let (df, maxRef) = KernelCheck.difference(fast, fp32, count: yCount)
        let hasScale = p.c * 9 >= 64 && yCount >= 256 && (p.act.kind == Int32(KILN_ACT_NONE.rawValue) || p.act.kind == Int32(KILN_ACT_RELU.rawValue))
        if hasScale && !(df <= v.fp32Tolerance * maxRef) { return "\(name) vs fp32: max |Δ| \(df) > \(v.fp32Tolerance) · max |ref| \(maxRef)" }
        return nil
    }

    /// Pads 0–2 (outputs wider or narrower than the input), odd and even outputs (a half tile
    /// at the edge), 1-wide images, narrow ones (2–7 tiles per row: several tile rows per
    /// vector) and wide ones (more than 16 tiles per row), channel counts off the GEMM's pairs
    /// (odd C) and panels (OC 5, 33, 70, 130), batches that fill several blocks.
    @Test(arguments: [f2x3, f4x3]) func matchesTwinAndFP32(_ v: Variant) {
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
            ConvKernelTests.params(n: 2, c: 64, h: 56, w: 56, oc: 64, k: (3, 3), pad: (1, 1), relu: true),
        ]
        defer { kiln_winograd_force_portable(0); GemmBF16KernelTests.Path.reset() }
        var failures: [String] = [], cases = 0
        for path in Self.paths {
            kiln_winograd_force_portable(path.portableTransforms)
            path.gemm.select()
            for var p in shapes {
                guard kiln_conv2d_init(&p) == 0, v.applicable(&p) else { continue }
                cases += 1
                let epi = cases % 16
                if p.act.kind == Int32(KILN_ACT_NONE.rawValue) { p.act = GemmBF16KernelTests.activations[epi >> 2].act }
                if let f = Self.check(v, p, epi & 1 != 0, epi & 2 != 0, cases, path.name) { failures.append(f) }
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
