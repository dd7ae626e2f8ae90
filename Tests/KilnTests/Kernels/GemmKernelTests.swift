import CKilnKernels
import Testing
@testable import Kiln

/// Kiln's packed GEMM (`kiln_gemm`) against its naive twin `kiln_gemm_ref`, and the
/// packed-GEMM convolution (`kiln_conv2d_gemm`) against `kiln_conv2d_ref`, on both the
/// AVX-512 microkernel and the portable one. Tolerance: 1e-4 · max(1, max |ref|).
/// Not serialized: the portable switches belong to the calling thread (kiln_thread_set_switch).
@Suite struct GemmKernelTests {
    static let mr = Int(KILN_GEMM_MR), nr = Int(KILN_GEMM_NR), kc = Int(KILN_GEMM_KC)

    /// Both microkernels: the AVX-512 one (when this CPU has it) and the portable one.
    static var paths: [(name: String, portable: Int32)] {
        kiln_gemm_force_portable(0)
        let avx = kiln_gemm_uses_avx512() != 0
        return (avx ? [("avx512", 0)] : []) + [("portable", 1)]
    }

    /// One GEMM case with padded leading dimensions; returns a failure message or nil.
    static func check(m: Int, n: Int, k: Int, pads: (Int, Int, Int), bias useBias: Bool, residual useResidual: Bool,
                      relu: Bool, seed: Int, path: String) -> String? {
        let (lda, ldb, ldc) = (k + pads.0, n + pads.1, n + pads.2), ldr = n + pads.0
        let a = KernelCheck.inputs(max(m * lda, 1), seed: seed), b = KernelCheck.inputs(max(k * ldb, 1), seed: seed + 1)
        let bias = useBias ? KernelCheck.inputs(m, seed: seed + 2) : nil
        let residual = useResidual ? KernelCheck.inputs(m * ldr, seed: seed + 3) : nil
        var packed = KernelCheck.guarded(kiln_gemm_packed_a_size(Int32(m), Int32(k)))
        kiln_gemm_pack_a(Int32(m), Int32(k), a, Int32(lda), &packed)
        var ws = KernelCheck.guarded(kiln_gemm_workspace_size(Int32(m), Int32(n), Int32(k)))
        let count = m * ldc
        var fast = KernelCheck.guarded(count), ref = fast
        var act = ConvKernelTests.actRelu(relu)
        kiln_gemm(Int32(m), Int32(n), Int32(k), packed, b, Int32(ldb), &fast, Int32(ldc), bias, residual, Int32(ldr),
                  &act, &ws)
        kiln_gemm_ref(Int32(m), Int32(n), Int32(k), a, Int32(lda), b, Int32(ldb), &ref, Int32(ldc), bias, residual,
                      Int32(ldr), &act)
        let name = "gemm[\(path)] m=\(m) n=\(n) k=\(k) lda=\(lda) ldb=\(ldb) ldc=\(ldc) ldr=\(ldr) "
            + "bias=\(useBias) residual=\(useResidual) relu=\(relu)"
        if !KernelCheck.guardIntact(ws, count: ws.count - KernelCheck.guardCount) { return name + ": wrote past the workspace" }
        // Only the n columns of each row are results; the ldc padding must stay untouched (NaN).
        for i in 0..<m where pads.2 > 0 {
            if !fast[(i * ldc + n)..<(i * ldc + ldc)].allSatisfy(\.isNaN) { return name + ": wrote into the ldc padding of row \(i)" }
        }
        return KernelCheck.mismatch(fast, ref, count: count, params: name)
    }

    /// Sizes around and across the MR, NR and KC boundaries, every leading-dimension and
    /// epilogue variant rotated through the shapes, on both microkernels.
    @Test func gemmSweepMatchesReference() {
        defer { kiln_gemm_force_portable(0) }
        let (mr, nr, kc) = (Self.mr, Self.nr, Self.kc)
        let ms = [1, 2, 7, mr - 1, mr, mr + 1, 2 * mr, 2 * mr + 1, 43, 70]
        // nr + 4 and 2 * nr + 7: narrow last panels (at most 8 columns), one matrix-vector product per column.
        let ns = [1, 2, 4, 15, 16, 17, 31, 32, 33, nr - 1, nr, nr + 1, nr + 4, 2 * nr, 2 * nr + 1, 2 * nr + 7, 70]
        let ks = [1, 2, 17, kc - 1, kc, kc + 1, 2 * kc + 1]
        let padSets = [(0, 0, 0), (3, 5, 7), (1, 0, 16)]
        var failures: [String] = [], cases = 0
        for (path, portable) in Self.paths {
            kiln_gemm_force_portable(portable)
            for m in ms { for n in ns { for k in ks {
                cases += 1
                let epi = cases % 8
                if let f = Self.check(m: m, n: n, k: k, pads: padSets[cases % 3], bias: epi & 1 != 0, residual: epi & 2 != 0,
                                      relu: epi & 4 != 0, seed: cases, path: path) { failures.append(f) }
            } } }
            // Larger shapes: several MC, NC and K blocks, and an empty K (just the epilogue);
            // N = NR + 1 with the fused last column across K blocks, and with an NC block of
            // one panel (M = 1400), where the column cannot join it; N = j NR + r with r <= j
            // (14x14 = 4 * 49, 28x28 = 16 * 49, and r < j), where the first r panels of the
            // in-place GEMM are one column wider (K >= 64; with K = 32 the tail is packed).
            for (m, n, k) in [(300, 130, 600), (300, 500, 200), (64, 1100, 70), (5, 3, 0), (300, nr + 1, 2 * kc + 5),
                              (1400, nr + 1, 20), (24, 4 * nr + 4, 576), (16, 16 * nr + 16, 64), (70, 3 * nr + 2, 80), (16, 4 * nr + 4, 32)] {
                for epi in [0, 7] {
                    if let f = Self.check(m: m, n: n, k: k, pads: (2, 3, 4), bias: epi != 0, residual: epi != 0, relu: epi != 0,
                                          seed: m + n + epi, path: path) { failures.append(f) }
                }
            }
        }
        #expect(cases >= ms.count * ns.count * ks.count)
        KernelCheck.record(failures)
    }

    /// Short K (kc <= KC / 4), where the GEMM packs a group of B panels and runs each A panel
    /// across the group: groups cut by the NC block (M = 300) and by the matrix's end, a
    /// partial last panel after them, rows not a multiple of MR, and a short last K block
    /// after full ones (it adds to C); every epilogue, both microkernels. On AVX-512,
    /// kiln_gemm reads a B matrix in place, so the groups are reached there through
    /// convolutions whose B is gathered (3x3 with few channels, a strided 1x1).
    @Test func shortKGroupsMatchReference() {
        defer { kiln_gemm_force_portable(0) }
        let (nr, kc) = (Self.nr, Self.kc)
        let shapes = [(96, 1000, 16), (13, 700, 24), (300, 1500, 5), (8, 12 * nr + 7, kc / 4), (21, 30 * nr, 1),
                      (17, 5 * nr + 1, 2 * kc + 9), (40, 2 * nr, kc / 4 + 1)]
        var failures: [String] = [], cases = 0
        for (path, portable) in Self.paths {
            kiln_gemm_force_portable(portable)
            for (m, n, k) in shapes {
                for epi in [0, 3, 5, 7] {
                    cases += 1
                    if let f = Self.check(m: m, n: n, k: k, pads: cases % 2 == 0 ? (0, 0, 0) : (3, 5, 7), bias: epi & 1 != 0,
                                          residual: epi & 2 != 0, relu: epi & 4 != 0, seed: 900 + cases, path: path) {
                        failures.append(f)
                    }
                }
            }
        }
        let convs = [
            ConvKernelTests.params(n: 1, c: 2, h: 20, w: 30, oc: 40, k: (3, 3), pad: (1, 1), relu: true),
            ConvKernelTests.params(n: 2, c: 16, h: 40, w: 40, oc: 13, k: (1, 1), stride: (2, 2)),
            ConvKernelTests.params(n: 1, c: 5, h: 31, w: 33, oc: 21, k: (3, 3), relu: true),
        ]
        for (path, portable) in Self.paths {
            kiln_gemm_force_portable(portable)
            for (i, p) in convs.enumerated() {
                var p = p
                guard kiln_conv2d_init(&p) == 0 else { failures.append("conv \(i) rejected by init"); continue }
                cases += 1
                if let f = Self.checkConv(p, bias: true, residual: i % 2 == 0, seed: 950 + i, path: path) { failures.append(f) }
            }
        }
        #expect(cases >= shapes.count * 4 + convs.count)
        KernelCheck.record(failures)
    }

    /// kiln_gemm_range over [0, k1) plus [k1, k) is the whole product (the K split of the
    /// 1x1 convolutions): panels read in place on AVX-512, a packed tail of 16 and 1 columns.
    @Test func kRangesSumToTheProduct() {
        defer { kiln_gemm_force_portable(0) }
        let nr = Self.nr
        var failures: [String] = []
        for (path, portable) in Self.paths {
            kiln_gemm_force_portable(portable)
            for (m, n, k, k1) in [(24, 3 * nr + 16, 144, 64), (13, nr + 1, 400, 208), (64, 2 * nr, 384, 192)] {
                let ldb = n + 3
                let a = KernelCheck.inputs(m * k, seed: m), b = KernelCheck.inputs(k * ldb, seed: n)
                var packed = KernelCheck.guarded(kiln_gemm_packed_a_size(Int32(m), Int32(k)))
                kiln_gemm_pack_a(Int32(m), Int32(k), a, Int32(k), &packed)
                var ws = KernelCheck.guarded(kiln_gemm_workspace_size(Int32(m), Int32(n), Int32(k)))
                var lo = [Float](repeating: .nan, count: m * n), hi = lo, ref = lo
                kiln_gemm_range(Int32(m), Int32(n), 0, Int32(k1), Int32(k), packed, b, Int32(ldb), &lo, Int32(n), nil, nil, 0,
                                nil, &ws)
                kiln_gemm_range(Int32(m), Int32(n), Int32(k1), Int32(k), Int32(k), packed, b, Int32(ldb), &hi, Int32(n), nil,
                                nil, 0, nil, &ws)
                kiln_gemm_ref(Int32(m), Int32(n), Int32(k), a, Int32(k), b, Int32(ldb), &ref, Int32(n), nil, nil, 0, nil)
                let sum = zip(lo, hi).map { $0 + $1 }
                if let f = KernelCheck.mismatch(sum, ref, count: m * n,
                                                params: "gemm_range[\(path)] m=\(m) n=\(n) k=\(k) split at \(k1)") {
                    failures.append(f)
                }
            }
        }
        KernelCheck.record(failures)
    }

    @Test func forcingPortableSwitchesTheKernel() {
        defer { kiln_gemm_force_portable(0) }
        kiln_gemm_force_portable(1)
        #expect(kiln_gemm_uses_avx512() == 0)
        kiln_gemm_force_portable(0)
        #expect(kiln_gemm_packed_a_size(Int32(Self.mr + 1), 3) == 2 * Self.mr * 3, "two panels of MR rows")
    }

    // MARK: convolution

    /// packed_gemm conv against the reference on one parameter set (p initialised).
    static func checkConv(_ p: kiln_conv2d_params, bias useBias: Bool, residual useResidual: Bool, seed: Int, path: String) -> String? {
        var p = p
        let xCount = Int(p.n * p.c * p.h * p.w), wCount = Int(p.oc * p.c * p.kh * p.kw)
        let yCount = Int(p.n * p.oc * p.oh * p.ow)
        let x = KernelCheck.inputs(xCount, seed: seed), w = KernelCheck.inputs(wCount, seed: seed + 1)
        let bias = useBias ? KernelCheck.inputs(Int(p.oc), seed: seed + 2) : nil
        let residual = useResidual ? KernelCheck.inputs(yCount, seed: seed + 3) : nil
        var packed = KernelCheck.guarded(kiln_conv2d_gemm_packed_size(&p))
        kiln_conv2d_gemm_pack(&p, w, &packed)
        var ref = KernelCheck.guarded(yCount), fast = ref
        kiln_conv2d_ref(&p, x, w, bias, residual, &ref)
        kiln_conv2d_gemm(&p, x, packed, bias, residual, &fast, nil)
        let name = "packed_gemm[\(path)] " + ConvKernelTests.describe(p, bias: useBias, residual: useResidual)
        if !KernelCheck.guardIntact(packed, count: packed.count - KernelCheck.guardCount) { return name + ": pack wrote past its size" }
        return KernelCheck.mismatch(fast, ref, count: yCount, params: name)
    }

    /// 1x1, 3x3 and 7x7 over strides, paddings, dilations and batches 1-3, on both microkernels.
    @Test func convSweepMatchesReference() {
        defer { kiln_gemm_force_portable(0) }
        var failures: [String] = [], cases = 0
        for (path, portable) in Self.paths {
            kiln_gemm_force_portable(portable)
            for n in [1, 2, 3] {
                let (h, w) = [(9, 7), (6, 8), (11, 10)][n - 1]
                for (c, oc) in [(1, 2), (3, 5), (8, 16), (5, 33)] {
                    for k in [1, 3, 7] {
                        for stride in [1, 2] { for pad in [0, 1, 3] { for dil in [1, 2] {
                            var p = ConvKernelTests.params(n: n, c: c, h: h, w: w, oc: oc, k: (k, k), stride: (stride, stride),
                                                           pad: (pad, pad), dil: (dil, dil))
                            guard kiln_conv2d_init(&p) == 0 else { continue }
                            cases += 1
                            let epi = cases % 8
                            p.act = ConvKernelTests.actRelu(epi & 4 != 0)
                            if let f = Self.checkConv(p, bias: epi & 1 != 0, residual: epi & 2 != 0, seed: cases, path: path) {
                                failures.append(f)
                            }
                        } } }
                    }
                }
            }
        }
        #expect(cases > 500, "sweep ran only \(cases) valid shapes")
        KernelCheck.record(failures)
    }

    /// Batch 1's balanced splits on 1-4 threads (kiln_parallel_for_balanced: each thread its
    /// share, claimed a piece at a time, the last pieces taken by whichever thread is free):
    /// pixel panels (a 1x1 read in place and an im2col 3x3), output-channel panels (a 1x1 read
    /// in place, claimed in quarters, and a 3x3 whose packed B keeps one piece per thread) and
    /// K shares (a 1x1 in quarters of its panels, and an im2col 3x3 in whole pieces).
    @Test func batchOneSplitsOnAnyThreadCount() {
        defer { kiln_set_thread_num_threads(0) }
        let shapes = [
            ConvKernelTests.params(n: 1, c: 24, h: 40, w: 41, oc: 36, k: (1, 1), relu: true),
            ConvKernelTests.params(n: 1, c: 8, h: 30, w: 29, oc: 12, k: (3, 3), pad: (1, 1)),
            ConvKernelTests.params(n: 1, c: 160, h: 7, w: 7, oc: 203, k: (1, 1),
                                   act: kiln_act(kind: Int32(KILN_ACT_CLIP.rawValue), a: 0, b: 6)),
            ConvKernelTests.params(n: 1, c: 64, h: 7, w: 7, oc: 100, k: (3, 3), pad: (1, 1), relu: true),
            ConvKernelTests.params(n: 1, c: 576, h: 14, w: 14, oc: 96, k: (1, 1)),
            ConvKernelTests.params(n: 1, c: 128, h: 10, w: 10, oc: 24, k: (3, 3), stride: (2, 2), pad: (1, 1), relu: true),
        ]
        var failures: [String] = []
        for threads in 1...4 {
            kiln_set_thread_num_threads(Int32(threads))
            for (i, p) in shapes.enumerated() {
                var p = p
                guard kiln_conv2d_init(&p) == 0 else { failures.append("shape \(i) rejected by init"); continue }
                if let f = Self.checkConv(p, bias: true, residual: i % 2 == 1, seed: 700 + i, path: "\(threads) threads") {
                    failures.append(f)
                }
            }
        }
        KernelCheck.record(failures)
    }

    /// ResNet-like shapes: K beyond one KC block, several MR panels, the output-channel split
    /// of batch 1 with few pixels, asymmetric geometry, the 7x7 stride-2 stem, and batches
    /// of small outputs (grouped images) or long K (K split).
    @Test func convLargerShapesMatchReference() {
        defer { kiln_gemm_force_portable(0) }
        let shapes = [
            ConvKernelTests.params(n: 1, c: 64, h: 14, w: 14, oc: 64, k: (3, 3), pad: (1, 1), relu: true),
            ConvKernelTests.params(n: 1, c: 128, h: 7, w: 7, oc: 100, k: (3, 3), pad: (1, 1), relu: true),
            ConvKernelTests.params(n: 3, c: 32, h: 15, w: 13, oc: 40, k: (3, 3), stride: (2, 2), pad: (1, 1)),
            ConvKernelTests.params(n: 2, c: 96, h: 8, w: 9, oc: 70, k: (1, 1)),
            ConvKernelTests.params(n: 1, c: 48, h: 8, w: 8, oc: 30, k: (1, 1), stride: (2, 2)),
            ConvKernelTests.params(n: 2, c: 3, h: 32, w: 30, oc: 16, k: (7, 7), stride: (2, 2), pad: (3, 3), relu: true),
            ConvKernelTests.params(n: 1, c: 6, h: 9, w: 12, oc: 9, k: (3, 5), stride: (2, 1), pad: (1, 2), dil: (1, 2)),
            // Stride-2 7x7 stem with several output-row runs per B panel (the phase-line packer).
            ConvKernelTests.params(n: 1, c: 3, h: 40, w: 38, oc: 8, k: (7, 7), stride: (2, 2), pad: (3, 3), relu: true),
            // Batches of 7x7 or 5x5 outputs: images grouped into shared column blocks, B panels
            // crossing image boundaries (3x3, the stem's geometry, and a 1x1).
            ConvKernelTests.params(n: 16, c: 16, h: 7, w: 7, oc: 24, k: (3, 3), pad: (1, 1), relu: true),
            ConvKernelTests.params(n: 16, c: 3, h: 13, w: 13, oc: 16, k: (7, 7), stride: (2, 2), pad: (3, 3), relu: true),
            ConvKernelTests.params(n: 40, c: 20, h: 5, w: 5, oc: 9, k: (1, 1)),
            // Batch 1, a 1x1 with few pixels and more output-channel panels (13, odd) than
            // pixel panels: one output-channel piece per thread (MobileNetV2's 7x7 and 14x14).
            ConvKernelTests.params(n: 1, c: 200, h: 7, w: 7, oc: 99, k: (1, 1), relu: true),
            // One pixel (squeeze-excitation 1x1s): the in-place product, its panels split
            // across threads, several images, an output-channel count off the panel height.
            ConvKernelTests.params(n: 1, c: 1152, h: 1, w: 1, oc: 48, k: (1, 1)),
            ConvKernelTests.params(n: 3, c: 45, h: 1, w: 1, oc: 1150, k: (1, 1), relu: true),
            // Few pixels, long K (8 KC blocks): K split across threads, parts summed.
            ConvKernelTests.params(n: 2, c: 160, h: 5, w: 5, oc: 16, k: (3, 3), pad: (1, 1), relu: true),
            // Batch 1, stride 2, 6 KC blocks: one K piece per thread on two threads.
            ConvKernelTests.params(n: 1, c: 128, h: 10, w: 10, oc: 24, k: (3, 3), stride: (2, 2), pad: (1, 1), relu: true),
            // Batch 1, a 1x1 with K = 960 (5 KC blocks, MobileNetV2's 7x7 projection): on two
            // threads K is cut into equal shares, not whole blocks (ReLU6 epilogue).
            ConvKernelTests.params(n: 1, c: 960, h: 7, w: 7, oc: 40, k: (1, 1),
                                   act: kiln_act(kind: Int32(KILN_ACT_CLIP.rawValue), a: 0, b: 6)),
            // Batch 1, a 14x14 1x1 with K >= 2 OC over two KC blocks (MobileNetV2's 384->64):
            // K split on two threads, though K has fewer than four blocks.
            ConvKernelTests.params(n: 1, c: 384, h: 14, w: 14, oc: 64, k: (1, 1)),
            // Inputs over 4 MB: the packer prefetches each next panel's input (stride 2 and 1).
            ConvKernelTests.params(n: 4, c: 64, h: 72, w: 70, oc: 24, k: (3, 3), stride: (2, 2), pad: (1, 1), relu: true),
            ConvKernelTests.params(n: 2, c: 48, h: 110, w: 106, oc: 16, k: (3, 3), pad: (1, 1)),
            // Batch 1 1x1 at 112x112, B read in place: each column panel prefetches the next
            // one's rows (32->16), and an output over 4 MB also claims the next panel's output
            // lines for writing (16->96, ReLU6).
            ConvKernelTests.params(n: 1, c: 32, h: 112, w: 112, oc: 16, k: (1, 1)),
            ConvKernelTests.params(n: 1, c: 16, h: 112, w: 112, oc: 96, k: (1, 1),
                                   act: kiln_act(kind: Int32(KILN_ACT_CLIP.rawValue), a: 0, b: 6)),
        ]
        var failures: [String] = []
        for (path, portable) in Self.paths {
            kiln_gemm_force_portable(portable)
            for (i, p) in shapes.enumerated() {
                var p = p
                guard kiln_conv2d_init(&p) == 0 else { failures.append("shape \(i) rejected by init"); continue }
                if let f = Self.checkConv(p, bias: true, residual: i % 2 == 0, seed: 100 + i, path: path) { failures.append(f) }
            }
        }
        KernelCheck.record(failures)
    }

    /// Batch 1 with one output-channel block per thread (chunk i of the fork/join runs block
    /// i): MobileNetV2's 14x14 expansion and projection (with a residual), a 7x7 layer with an
    /// odd panel count, and channel counts off the panel height, on 2, 3 and 4 threads and
    /// both microkernels.
    @Test func oneBlockPerThreadMatchesReference() {
        defer { kiln_gemm_force_portable(0); kiln_set_thread_num_threads(0) }
        let shapes = [
            ConvKernelTests.params(n: 1, c: 96, h: 14, w: 14, oc: 576, k: (1, 1), act: Activation.clip(min: 0, max: 6).c),
            ConvKernelTests.params(n: 1, c: 576, h: 14, w: 14, oc: 96, k: (1, 1)),
            ConvKernelTests.params(n: 1, c: 200, h: 7, w: 7, oc: 99, k: (1, 1), act: Activation.silu.c),
            ConvKernelTests.params(n: 1, c: 30, h: 6, w: 9, oc: 203, k: (1, 1), relu: true),
        ]
        var failures: [String] = [], cases = 0
        for (path, portable) in Self.paths {
            kiln_gemm_force_portable(portable)
            for threads in [2, 3, 4] {
                kiln_set_thread_num_threads(Int32(threads))
                for (i, p) in shapes.enumerated() {
                    var p = p
                    guard kiln_conv2d_init(&p) == 0 else { failures.append("shape \(i) rejected by init"); continue }
                    cases += 1
                    if let f = Self.checkConv(p, bias: true, residual: i % 2 == 1, seed: 700 + i, path: path + " \(threads) threads") {
                        failures.append(f)
                    }
                }
            }
        }
        #expect(cases == 24)
        KernelCheck.record(failures)
    }

    /// kiln_gemm_unpack_a inverts kiln_gemm_pack_a exactly (filters rebuilt from packed GEMM
    /// weights), for row counts on and off the panel height.
    @Test func unpackInvertsPack() {
        var failures: [String] = []
        for (m, k) in [(1, 1), (8, 9), (13, 27), (64, 576), (70, 5)] {
            let a = KernelCheck.inputs(m * k, seed: m + k)
            var packed = [Float](repeating: .nan, count: kiln_gemm_packed_a_size(Int32(m), Int32(k)))
            kiln_gemm_pack_a(Int32(m), Int32(k), a, Int32(k), &packed)
            var back = [Float](repeating: .nan, count: m * k)
            kiln_gemm_unpack_a(Int32(m), Int32(k), packed, &back, Int32(k))
            if back != a { failures.append("m=\(m) k=\(k): unpack(pack(a)) != a") }
        }
        KernelCheck.record(failures)
    }

    @Test func appliesOnlyToOneGroup() {
        var dense = ConvKernelTests.params(n: 1, c: 4, h: 5, w: 5, oc: 4, k: (3, 3))
        var grouped = ConvKernelTests.params(n: 1, c: 4, h: 5, w: 5, oc: 4, k: (3, 3), groups: 2)
        #expect(kiln_conv2d_init(&dense) == 0 && kiln_conv2d_init(&grouped) == 0)
        #expect(kiln_conv2d_gemm_applicable(&dense) == 1)
        #expect(kiln_conv2d_gemm_applicable(&grouped) == 0)
    }
}
