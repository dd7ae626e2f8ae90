import CKilnKernels
import Testing

/// The bf16 packed GEMM (`kiln_gemm_bf16`) and its convolution (`kiln_conv2d_gemm_bf16`)
/// against their naive twins, on the AVX512_BF16 microkernel (when the CPU has it), the AMX
/// tiles (emulated, and real where the CPU has AMX-BF16) and the portable microkernel, all
/// over the same layouts.
///
/// Two tolerances, both stated:
/// - against the twin (`kiln_gemm_bf16_ref`, or `kiln_conv2d_ref` on bf16-rounded inputs),
///   which rounds the operands the same way and differs only in summation order (fp32 in
///   the kernel, double in the twin): `KernelCheck`'s 1e-4 · max(1, max |ref|);
/// - against the fp32 product, element by element: |Δ| ≤ 2⁻⁷ · Σₖ |a||b| + that tolerance
///   (each operand's rounding is at most 2⁻⁸ relative (8 significant bits), so each product's ~2⁻⁷);
///   and, where the output is large enough for max |ref| to be its scale (K ≥ 64, ≥ 256
///   outputs) and the epilogue keeps it (no activation, ReLU), the network's contract max |Δ|
///   ≤ 5e-3 · max |ref|. (On a 7×1 output with cancelling sums, or after a saturating
///   sigmoid or Clip, max |ref| can be far below the rounding of the products, 2⁻⁷·Σ|a||b|.)
/// Not serialized: the portable switches belong to the calling thread (kiln_thread_set_switch).
@Suite struct GemmBF16KernelTests {
    static let contract: Float = 5e-3

    /// A microkernel choice for the calling thread: the portable one, vdpbf16ps (AMX off),
    /// the AMX tiles on the emulated tile unit (any AVX512_BF16 CPU) and, on CPUs with
    /// AMX-BF16, the real tiles.
    struct Path {
        let name: String
        let portable: Int32, amx: Int32

        func select() {
            kiln_gemm_bf16_force_portable(portable)
            kiln_gemm_bf16_set_amx(amx)
        }

        static func reset() { Path(name: "default", portable: 0, amx: Int32(KILN_AMX_DETECT)).select() }
    }

    static var paths: [Path] {
        var paths: [Path] = []
        if kiln_cpu_has_avx512_bf16() != 0 {
            paths.append(Path(name: "avx512_bf16", portable: 0, amx: Int32(KILN_AMX_OFF)))
            paths.append(Path(name: "amx emulated", portable: 0, amx: Int32(KILN_AMX_EMULATED)))
            if kiln_cpu_has_amx_bf16() != 0 { paths.append(Path(name: "amx", portable: 0, amx: Int32(KILN_AMX_DETECT))) }
        }
        return paths + [Path(name: "portable", portable: 1, amx: Int32(KILN_AMX_DETECT))]
    }

    /// Epilogue activations rotated through the cases: none, ReLU, Clip(0, 6) (clamped in
    /// registers) and sigmoid (applied over the stored tile by kiln_tile_act_avx512). All are
    /// 1-Lipschitz, so the elementwise bound against fp32 still holds after them.
    static let activations: [(name: String, act: kiln_act)] = [
        ("none", kiln_act(kind: Int32(KILN_ACT_NONE.rawValue), a: 0, b: 0)),
        ("relu", kiln_act(kind: Int32(KILN_ACT_RELU.rawValue), a: 0, b: 0)),
        ("clip(0,6)", kiln_act(kind: Int32(KILN_ACT_CLIP.rawValue), a: 0, b: 6)),
        ("sigmoid", kiln_act(kind: Int32(KILN_ACT_SIGMOID.rawValue), a: 0, b: 0)),
    ]

    static func bf16(_ x: [Float]) -> [Float] { x.map { kiln_bf16_to_float(kiln_bf16_from_float($0)) } }

    /// The accuracy checks against the fp32 result (see the suite's comment); `bound[i]` is
    /// Σ |a||b| of output i, `valid(i)` whether i is an output (not leading-dimension padding).
    static func contractProblem(_ fast: [Float], _ fp32: [Float], bound: [Float], count: Int, k: Int, outputs: Int,
                                keepsScale: Bool, valid: (Int) -> Bool, name: String) -> String? {
        let (_, maxRef) = KernelCheck.difference(fast, fp32, count: count)
        let slack = KernelCheck.relativeTolerance * max(1, maxRef)
        var worst: Float = 0
        for i in 0..<count where valid(i) {
            let d = abs(fast[i] - fp32[i])
            if !(d <= 0x1p-7 * bound[i] + slack) { return "\(name) vs fp32: |Δ| \(d) at \(i) > 2^-7 · \(bound[i]) + \(slack)" }
            worst = max(worst, d)
        }
        if keepsScale && k >= 64 && outputs >= 256 && !(worst <= contract * maxRef) {
            return "\(name) vs fp32: max |Δ| \(worst) > \(contract) · max |ref| \(maxRef)"
        }
        return nil
    }

    @Test func roundingIsNearestEven() {
        // 1 + 2^-8 is halfway between 1 and 1 + 2^-7: ties go to the even significand (1).
        #expect(kiln_bf16_to_float(kiln_bf16_from_float(1 + 0x1p-8)) == 1)
        #expect(kiln_bf16_to_float(kiln_bf16_from_float(1 + 3 * 0x1p-8)) == 1 + 0x1p-6)
        #expect(kiln_bf16_to_float(kiln_bf16_from_float(1 + 0x1p-8 + 0x1p-20)) == 1 + 0x1p-7)
        #expect(kiln_bf16_to_float(kiln_bf16_from_float(-2.5)) == -2.5)
        #expect(kiln_bf16_to_float(kiln_bf16_from_float(.infinity)) == .infinity)
        #expect(kiln_bf16_to_float(kiln_bf16_from_float(.nan)).isNaN)
        #expect(kiln_bf16_to_float(kiln_bf16_from_float(Float.leastNormalMagnitude / 2)) == 0)
        #expect(kiln_bf16_to_float(kiln_bf16_from_float(Float.greatestFiniteMagnitude)) == .infinity)
    }

    /// One GEMM case: fast vs twin, and fast vs the fp32 product; a failure message or nil.
    static func check(m: Int, n: Int, k: Int, ldPad: Int, bias useBias: Bool, residual useResidual: Bool, act actIndex: Int,
                      seed: Int, path: String) -> String? {
        var act = activations[actIndex].act
        let (lda, ldb, ldc) = (k + ldPad, n + ldPad, n + ldPad)
        let a = KernelCheck.inputs(m * lda, seed: seed), b = KernelCheck.inputs(k * ldb, seed: seed + 1)
        let bias = useBias ? KernelCheck.inputs(m, seed: seed + 2) : nil
        let residual = useResidual ? KernelCheck.inputs(m * ldc, seed: seed + 3) : nil
        var packed = [UInt16](repeating: 0xFFFF, count: kiln_gemm_bf16_packed_a_size(Int32(m), Int32(k)) + 8)
        kiln_gemm_bf16_pack_a(Int32(m), Int32(k), a, Int32(lda), &packed)
        let count = m * ldc
        var fast = KernelCheck.guarded(count), twin = fast, fp32 = fast
        kiln_gemm_bf16(Int32(m), Int32(n), Int32(k), packed, b, Int32(ldb), &fast, Int32(ldc), bias, residual, Int32(ldc), &act)
        kiln_gemm_bf16_ref(Int32(m), Int32(n), Int32(k), a, Int32(lda), b, Int32(ldb), &twin, Int32(ldc), bias, residual, Int32(ldc), &act)
        kiln_gemm_ref(Int32(m), Int32(n), Int32(k), a, Int32(lda), b, Int32(ldb), &fp32, Int32(ldc), bias, residual, Int32(ldc), &act)
        let name = "gemm_bf16[\(path)] m=\(m) n=\(n) k=\(k) ld+\(ldPad) bias=\(useBias) residual=\(useResidual) act=\(activations[actIndex].name)"
        if packed.suffix(8).contains(where: { $0 != 0xFFFF }) { return name + ": pack wrote past its size" }
        for i in 0..<m where ldPad > 0 {
            if !fast[(i * ldc + n)..<(i * ldc + ldc)].allSatisfy(\.isNaN) { return name + ": wrote into the ldc padding of row \(i)" }
        }
        if let f = KernelCheck.mismatch(fast, twin, count: count, params: name + " vs twin") { return f }
        var bound = fast
        kiln_gemm_ref(Int32(m), Int32(n), Int32(k), a.map(abs), Int32(lda), b.map(abs), Int32(ldb), &bound, Int32(ldc), nil, nil, 0, nil)
        return contractProblem(fast, fp32, bound: bound, count: count, k: k, outputs: m * n, keepsScale: actIndex < 2,
                               valid: { $0 % ldc < n }, name: name)
    }

    /// Sizes around the MR, NR and KC boundaries, odd K (a zero-padded last pair), every
    /// epilogue variant rotated through, on both microkernels.
    @Test func gemmSweepMatchesTwinAndContract() {
        defer { Path.reset() }
        let (mr, nr, kc) = (Int(KILN_GEMM_BF16_MR), Int(KILN_GEMM_BF16_NR), Int(KILN_GEMM_BF16_KC))
        var failures: [String] = [], cases = 0
        for path in Self.paths {
            path.select()
            // 2 * mr + 1 and 43: AMX's pairs of weight panels and a panel left over; n: its
            // groups of 16 pixels; k 17, 33 and 2 * kc + 3: a partial step of 16 K pairs.
            for m in [1, 7, mr, mr + 1, 2 * mr + 1, 3 * mr, 43] { for n in [1, 15, 16, 17, 33, nr, nr + 1, 2 * nr + 5] {
                for k in [1, 2, 3, 17, kc - 1, kc, kc + 1, 2 * kc + 3] {
                    cases += 1
                    let epi = cases % 16
                    if let f = Self.check(m: m, n: n, k: k, ldPad: cases % 3 == 0 ? 5 : 0, bias: epi & 1 != 0, residual: epi & 2 != 0,
                                          act: epi >> 2, seed: cases, path: path.name) { failures.append(f) }
                }
            } }
        }
        #expect(cases >= 448)
        KernelCheck.record(failures)
    }

    /// The convolution against kiln_conv2d_ref on bf16-rounded x and w (the twin), and on
    /// the fp32 inputs (the contract).
    /// Seeded x, w, bias and residual of a convolution case (bias/residual nil when unused).
    static func convInputs(_ p: kiln_conv2d_params, bias useBias: Bool, residual useResidual: Bool, seed: Int)
        -> (x: [Float], w: [Float], bias: [Float]?, residual: [Float]?, yCount: Int) {
        let xCount = Int(p.n * p.c * p.h * p.w), wCount = Int(p.oc * p.c * p.kh * p.kw), yCount = Int(p.n * p.oc * p.oh * p.ow)
        return (KernelCheck.inputs(xCount, seed: seed), KernelCheck.inputs(wCount, seed: seed + 1),
                useBias ? KernelCheck.inputs(Int(p.oc), seed: seed + 2) : nil,
                useResidual ? KernelCheck.inputs(yCount, seed: seed + 3) : nil, yCount)
    }

    static func checkConv(_ p: kiln_conv2d_params, _ useBias: Bool, _ useResidual: Bool, _ seed: Int, _ path: String) -> String? {
        var p = p
        let (x, w, bias, residual, yCount) = convInputs(p, bias: useBias, residual: useResidual, seed: seed)
        var packed = KernelCheck.guarded(kiln_conv2d_gemm_bf16_packed_size(&p))
        kiln_conv2d_gemm_bf16_pack(&p, w, &packed)
        var twin = KernelCheck.guarded(yCount), fast = twin, fp32 = twin
        kiln_conv2d_ref(&p, Self.bf16(x), Self.bf16(w), bias, residual, &twin)
        kiln_conv2d_ref(&p, x, w, bias, residual, &fp32)
        kiln_conv2d_gemm_bf16(&p, x, packed, bias, residual, &fast, nil)
        let name = "packed_gemm_bf16[\(path)] " + ConvKernelTests.describe(p, bias: useBias, residual: useResidual)
        if !KernelCheck.guardIntact(packed, count: packed.count - KernelCheck.guardCount) { return name + ": pack wrote past its size" }
        if let f = KernelCheck.mismatch(fast, twin, count: yCount, params: name + " vs twin") { return f }
        var bound = fast, q = p
        q.act = Self.activations[0].act
        kiln_conv2d_ref(&q, x.map(abs), w.map(abs), nil, nil, &bound)
        let keepsScale = p.act.kind == Int32(KILN_ACT_NONE.rawValue) || p.act.kind == Int32(KILN_ACT_RELU.rawValue)
        return contractProblem(fast, fp32, bound: bound, count: yCount, k: Int(p.c * p.kh * p.kw), outputs: yCount,
                               keepsScale: keepsScale, valid: { _ in true }, name: name)
    }

    /// 1x1, 3x3 and 7x7 over strides, paddings and batches, plus ResNet-like shapes: the
    /// output-channel split, the K split (long K, few pixels, batch 1), the stride-2 stem and
    /// grouped images (batches of small outputs).
    @Test func convMatchesTwinAndContract() {
        var shapes: [kiln_conv2d_params] = []
        for n in [1, 3] { for (c, oc) in [(3, 5), (8, 16), (5, 33)] { for k in [1, 3, 7] {
            for stride in [1, 2] { for pad in [0, 1, 3] {
                shapes.append(ConvKernelTests.params(n: n, c: c, h: 11, w: 10, oc: oc, k: (k, k), stride: (stride, stride), pad: (pad, pad)))
            } }
        } } }
        shapes += [
            ConvKernelTests.params(n: 1, c: 64, h: 14, w: 14, oc: 64, k: (3, 3), pad: (1, 1), relu: true),
            ConvKernelTests.params(n: 1, c: 192, h: 7, w: 7, oc: 64, k: (3, 3), pad: (1, 1), relu: true),
            ConvKernelTests.params(n: 2, c: 96, h: 8, w: 9, oc: 70, k: (1, 1)),
            ConvKernelTests.params(n: 1, c: 3, h: 40, w: 38, oc: 16, k: (7, 7), stride: (2, 2), pad: (3, 3), relu: true),
            // Batches of small outputs: images grouped into shared column blocks.
            ConvKernelTests.params(n: 16, c: 32, h: 7, w: 7, oc: 40, k: (3, 3), pad: (1, 1), relu: true),
            ConvKernelTests.params(n: 40, c: 20, h: 9, w: 9, oc: 16, k: (3, 3), stride: (2, 2), pad: (1, 1)),
        ]
        let (cases, failures) = Self.sweepConv(shapes, applies: { _ in true }, check: Self.checkConv)
        #expect(cases > 100, "only \(cases) valid shapes")
        KernelCheck.record(failures)
    }

    /// Runs `check` on every valid, applicable shape on each path (see ``paths``),
    /// rotating bias, residual and the activations (for shapes without one) through the cases.
    /// Returns the number of cases and the failure messages.
    static func sweepConv(_ shapes: [kiln_conv2d_params], applies: (inout kiln_conv2d_params) -> Bool,
                          check: (kiln_conv2d_params, Bool, Bool, Int, String) -> String?) -> (Int, [String]) {
        defer { Path.reset() }
        var failures: [String] = [], cases = 0
        for path in paths {
            path.select()
            for var p in shapes {
                guard kiln_conv2d_init(&p) == 0, applies(&p) else { continue }
                cases += 1
                let epi = cases % 16
                if p.act.kind == Int32(KILN_ACT_NONE.rawValue) { p.act = activations[epi >> 2].act }
                if let f = check(p, epi & 1 != 0, epi & 2 != 0, cases, path.name) { failures.append(f) }
            }
        }
        return (cases, failures)
    }
}
