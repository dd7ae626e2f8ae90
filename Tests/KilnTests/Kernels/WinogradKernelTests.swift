import CKilnKernels
import Testing
@testable import Kiln

/// Winograd F(2×2, 3×3) and F(4×4, 3×3) (`kiln_conv2d_winograd_f2x3` / `_f4x3`) against
/// the naive `kiln_conv2d_ref`, on the AVX-512 transforms (when this CPU has them) and on the
/// portable ones.
///
/// Tolerance: max |fast − ref| ≤ tol · max(1, max |ref|), with tol = 1e-4 for F(2,3) (as
/// every other kernel) and 1e-3 for F(4,3). Why looser: F(4,3)'s input transform scales by
/// up to 10 per dimension (a row of Bᵀ is 4, −5, 1) and its output transform by up to 18
/// (a row of Aᵀ is 1, −1, 8, −8, 1), so float rounding in the transformed domain is
/// amplified ~100× more than in F(2,3) (whose entries are ±1). Measured: ~1e-5 on
/// ResNet-sized layers, so 1e-3 leaves margin while any wrong coefficient, index or
/// boundary still fails by O(1). `resnetSizedLayersStayWithinAutotuneTolerance` checks the
/// tighter 1e-4 that autotune and the whole-network fixtures need.
///
/// Not serialized: the portable switches belong to the calling thread (kiln_thread_set_switch).
@Suite struct WinogradKernelTests {
    enum Variant: String, CaseIterable {
        case f2x3, f4x3
        var tolerance: Float { self == .f2x3 ? 1e-4 : 1e-3 }
    }

    /// The transform paths to test: AVX-512 (when available) and portable.
    static var paths: [(name: String, portable: Int32)] {
        kiln_winograd_force_portable(0)
        let avx = kiln_winograd_use_avx512() != 0
        return (avx ? [("avx512", 0)] : []) + [("portable", 1)]
    }

    struct Case {
        var n: Int, c: Int, h: Int, w: Int, oc: Int, pad: Int
        var bias = false, residual = false, relu = false
    }

    /// Runs one case (with a caller-provided guarded workspace, or internal when
    /// `internalWorkspace`); returns a failure message naming every parameter, or nil.
    static func check(_ v: Variant, _ k: Case, path: String, seed: Int, tolerance: Float? = nil,
                      internalWorkspace: Bool = false) -> String? {
        var p = ConvKernelTests.params(n: k.n, c: k.c, h: k.h, w: k.w, oc: k.oc, k: (3, 3), pad: (k.pad, k.pad), relu: k.relu)
        let initialised = kiln_conv2d_init(&p) == 0
        let name = "winograd_\(v.rawValue)[\(path)] " + ConvKernelTests.describe(p, bias: k.bias, residual: k.residual)
            + " workspace=\(internalWorkspace ? "internal" : "provided")"
        guard initialised else { return name + ": init rejected" }
        guard kiln_winograd_f2x3_applicable(&p) != 0, kiln_winograd_f4x3_applicable(&p) != 0 else { return name + ": not applicable" }
        let yCount = k.n * k.oc * Int(p.oh * p.ow)
        let x = KernelCheck.inputs(k.n * k.c * k.h * k.w, seed: seed), w = KernelCheck.inputs(k.oc * k.c * 9, seed: seed + 1)
        let bias = k.bias ? KernelCheck.inputs(k.oc, seed: seed + 2) : nil
        let residual = k.residual ? KernelCheck.inputs(yCount, seed: seed + 3) : nil
        let packedCount = v == .f2x3 ? kiln_winograd_f2x3_packed_size(Int32(k.oc), Int32(k.c)) : kiln_winograd_f4x3_packed_size(Int32(k.oc), Int32(k.c))
        let wsCount = v == .f2x3 ? kiln_winograd_f2x3_workspace_size(&p) : kiln_winograd_f4x3_workspace_size(&p)
        var packed = KernelCheck.guarded(packedCount), ws = KernelCheck.guarded(wsCount)
        var fast = KernelCheck.guarded(yCount), ref = KernelCheck.guarded(yCount)
        switch v {
        case .f2x3: kiln_winograd_f2x3_pack(Int32(k.oc), Int32(k.c), w, &packed)
        case .f4x3: kiln_winograd_f4x3_pack(Int32(k.oc), Int32(k.c), w, &packed)
        }
        kiln_conv2d_ref(&p, x, w, bias, residual, &ref)
        ws.withUnsafeMutableBufferPointer { wsp in
            let wsArg = internalWorkspace ? nil : wsp.baseAddress
            switch v {
            case .f2x3: kiln_conv2d_winograd_f2x3(&p, x, packed, bias, residual, &fast, wsArg)
            case .f4x3: kiln_conv2d_winograd_f4x3(&p, x, packed, bias, residual, &fast, wsArg)
            }
        }
        if !KernelCheck.guardIntact(packed, count: packedCount) { return name + ": pack wrote past \(packedCount) floats" }
        if !KernelCheck.guardIntact(ws, count: wsCount) { return name + ": wrote past the \(wsCount)-float workspace" }
        if !KernelCheck.guardIntact(fast, count: yCount) { return name + ": wrote past the output" }
        let (diff, maxRef) = KernelCheck.difference(fast, ref, count: yCount)
        let tol = (tolerance ?? v.tolerance) * max(1, maxRef)
        return diff <= tol ? nil : "\(name): max |fast-ref| = \(diff) > tol \(tol) (max |ref| = \(maxRef))"
    }

    /// Small and odd sizes (1…9: partial tiles, images smaller than a tile, fewer tiles than
    /// a SIMD group), ResNet's 14 and 28, padding 0 and 1, batch 1–3 (tiles of one block span
    /// images), channel counts that are not multiples of 16 (or of the GEMM's panels), and
    /// every epilogue, on both variants and both transform paths.
    @Test func sweepMatchesReference() {
        defer { kiln_winograd_force_portable(0) }
        let sizes = [(1, 1), (1, 5), (2, 2), (3, 3), (4, 7), (5, 5), (6, 9), (7, 7), (8, 3), (9, 9), (9, 2), (14, 14), (28, 28)]
        let channels = [(1, 1), (3, 5), (16, 16), (17, 33), (32, 20)]
        var failures: [String] = [], cases = 0
        for (path, portable) in Self.paths {
            kiln_winograd_force_portable(portable)
            for v in Variant.allCases {
                for (h, w) in sizes {
                    for pad in [0, 1] where h + 2 * pad >= 3 && w + 2 * pad >= 3 {
                        for r in 0..<3 {
                            cases += 1
                            let (c, oc) = channels[(cases + r) % channels.count]
                            let epi = cases % 8
                            let k = Case(n: 1 + (cases + r) % 3, c: c, h: h, w: w, oc: oc, pad: pad,
                                         bias: epi & 1 != 0, residual: epi & 2 != 0, relu: epi & 4 != 0)
                            if let f = Self.check(v, k, path: path, seed: cases, internalWorkspace: cases % 5 == 0) { failures.append(f) }
                        }
                    }
                }
            }
        }
        #expect(cases >= 150)
        KernelCheck.record(failures)
    }

    /// The lazily built weights of 7×7 layers come from the packed-GEMM weights in one pass:
    /// bit for bit what packing the original filters gives, padding rows included, for both
    /// F(2,3) and F(4,3).
    @Test func packFromGemmEqualsPackFromFilters() {
        var failures: [String] = []
        for (oc, c) in [(8, 3), (13, 5), (64, 64), (70, 9)] {
            let w = KernelCheck.inputs(oc * c * 9, seed: oc + c)
            var p = ConvKernelTests.params(n: 1, c: c, h: 7, w: 7, oc: oc, k: (3, 3), pad: (1, 1))
            _ = kiln_conv2d_init(&p)
            var gemm = [Float](repeating: .nan, count: kiln_conv2d_gemm_packed_size(&p))
            kiln_conv2d_gemm_pack(&p, w, &gemm)
            let size = kiln_winograd_f2x3_packed_size(Int32(oc), Int32(c))
            var direct = [Float](repeating: .nan, count: size), fromGemm = direct
            kiln_winograd_f2x3_pack(Int32(oc), Int32(c), w, &direct)
            kiln_winograd_f2x3_pack_from_gemm(Int32(oc), Int32(c), gemm, &fromGemm)
            if direct.map(\.bitPattern) != fromGemm.map(\.bitPattern) { failures.append("F(2,3) oc=\(oc) c=\(c): the two packings differ") }
            let size4 = kiln_winograd_f4x3_packed_size(Int32(oc), Int32(c))
            var direct4 = [Float](repeating: .nan, count: size4), fromGemm4 = direct4
            kiln_winograd_f4x3_pack(Int32(oc), Int32(c), w, &direct4)
            kiln_winograd_f4x3_pack_from_gemm(Int32(oc), Int32(c), gemm, &fromGemm4)
            if direct4.map(\.bitPattern) != fromGemm4.map(\.bitPattern) { failures.append("F(4,3) oc=\(oc) c=\(c): the two packings differ") }
        }
        KernelCheck.record(failures)
    }

    /// 14×14 layers build F(4,3) weights from their F(2,3) ones for batches ≥ 2: the filters
    /// come back exactly but for F(2,3)'s rounding, so the result matches packing the
    /// original filters to 1e-6 · max |u|, padding rows (zero) included.
    @Test func f4x3FromF2x3MatchesPackFromFilters() {
        var failures: [String] = []
        for (oc, c) in [(8, 3), (13, 5), (64, 64), (70, 9)] {
            let w = KernelCheck.inputs(oc * c * 9, seed: 3 * oc + c)
            var u2 = [Float](repeating: .nan, count: kiln_winograd_f2x3_packed_size(Int32(oc), Int32(c)))
            kiln_winograd_f2x3_pack(Int32(oc), Int32(c), w, &u2)
            let size = kiln_winograd_f4x3_packed_size(Int32(oc), Int32(c))
            var direct = [Float](repeating: .nan, count: size), fromF2 = direct
            kiln_winograd_f4x3_pack(Int32(oc), Int32(c), w, &direct)
            kiln_winograd_f4x3_pack_from_f2x3(Int32(oc), Int32(c), u2, &fromF2)
            let scale = direct.map(abs).max() ?? 0
            let worst = zip(direct, fromF2).map { abs($0 - $1) }.max() ?? .nan
            if fromF2.contains(where: \.isNaN) { failures.append("oc=\(oc) c=\(c): entries left unwritten (NaN)") }
            if !(worst <= 1e-6 * scale) { failures.append("oc=\(oc) c=\(c): max |diff| \(worst) > 1e-6 * \(scale)") }
        }
        KernelCheck.record(failures)
    }

    /// A library's workspace is sized for its slot count (aotCompile builds for this machine's
    /// cores): fewer slots, less memory, but always room for batch 1's split-phase schedule
    /// (one image's v + m and a GEMM scratch per slot).
    @Test func workspaceShrinksWithSlotsButFitsBatch1() {
        var failures: [String] = []
        for (c, hw, alpha) in [(64, 56, Int32(6)), (128, 28, 6), (256, 14, 4), (512, 7, 4)] {
            var p = ConvKernelTests.params(n: 1, c: c, h: hw, w: hw, oc: c, k: (3, 3), pad: (1, 1))
            _ = kiln_conv2d_init(&p)
            let sizes = (1...4).map { kiln_winograd_workspace_size_for(alpha, &p, Int32($0)) }
            if sizes != sizes.sorted() || sizes[3] != kiln_winograd_workspace_size(alpha, &p) {
                failures.append("c=\(c) \(hw)x\(hw): sizes for 1-4 slots \(sizes) are not increasing up to this build's")
            }
            let m = Int(alpha) - 2, tiles = ((hw + m - 1) / m) * ((hw + m - 1) / m), ldv = (tiles + 15) / 16 * 16
            let vm = Int(alpha * alpha) * 2 * (c * ldv + 16)
            if vm * 4 <= 13 << 19, sizes[1] < vm { failures.append("c=\(c) \(hw)x\(hw): 2 slots give \(sizes[1]) floats, batch 1's split needs \(vm)") }
        }
        KernelCheck.record(failures)
    }

    /// 56×56 with the full epilogue, in both schedules: two images are one split-phase block
    /// (4.5 MB of v + m for F(4,3): channels, frequencies and output channels shared out), five
    /// are many blocks per thread (block boundaries inside images and rows, workspace slots
    /// reused, an odd number of blocks).
    @Test(arguments: [2, 5]) func manyTilesMatchReference(images: Int) {
        defer { kiln_winograd_force_portable(0) }
        var failures: [String] = []
        for (path, portable) in Self.paths {
            kiln_winograd_force_portable(portable)
            for v in Variant.allCases {
                let k = Case(n: images, c: 40, h: 56, w: 56, oc: 40, pad: 1, bias: true, residual: true, relu: true)
                if let f = Self.check(v, k, path: path, seed: 7) { failures.append(f) }
            }
        }
        KernelCheck.record(failures)
    }

    /// Narrow images (2–7 tiles per row: widths 5–28 for F(4,3), 3–14 for F(2,3)) run the
    /// AVX-512 transforms on several whole tile rows per vector: heights whose tile rows do
    /// not fill the last vector, partial last tiles (odd sizes, 26, 27), padding 0 and 1,
    /// batches 1–5 and every epilogue; and batches over the split-phase size (31 images of
    /// 28×28 for F(4,3), 66 of 14×14 for F(2,3)), whose blocks end inside images and inside
    /// tile rows, so a vector's rows are also limited by the block.
    @Test func narrowImagesShareVectorsAcrossTileRows() {
        defer { kiln_winograd_force_portable(0) }
        let shapes = [(3, 4), (5, 6), (8, 8), (12, 9), (13, 11), (14, 14), (16, 20), (19, 17), (24, 24), (26, 26), (27, 25), (28, 28), (28, 13)]
        var failures: [String] = []
        for (path, portable) in Self.paths {
            kiln_winograd_force_portable(portable)
            for v in Variant.allCases {
                for (i, (h, w)) in shapes.enumerated() {
                    for pad in [0, 1] {
                        let k = Case(n: 1 + (i + pad) % 3 * 2, c: 9 + i % 3 * 8, h: h, w: w, oc: 7 + i % 4 * 6, pad: pad,
                                     bias: (i + pad) % 2 == 0, residual: i % 3 != 1, relu: (i + pad) % 3 != 0)
                        if let f = Self.check(v, k, path: path, seed: 100 + 2 * i + pad) { failures.append(f) }
                    }
                }
                let size = v == .f4x3 ? 28 : 14
                let blocks = Case(n: v == .f4x3 ? 31 : 66, c: 16, h: size, w: size, oc: 16, pad: 1, bias: true, residual: true, relu: true)
                if let f = Self.check(v, blocks, path: path, seed: 131) { failures.append(f) }
            }
        }
        KernelCheck.record(failures)
    }

    /// A ResNet-18 layer2 convolution (128→128, 28×28): both variants within 1e-4 · max |ref|,
    /// the tolerance autotune applies before it accepts a candidate.
    @Test func resnetSizedLayersStayWithinAutotuneTolerance() {
        defer { kiln_winograd_force_portable(0) }
        var failures: [String] = []
        for (path, portable) in Self.paths {
            kiln_winograd_force_portable(portable)
            for v in Variant.allCases {
                let k = Case(n: 1, c: 128, h: 28, w: 28, oc: 128, pad: 1, bias: true)
                if let f = Self.check(v, k, path: path, seed: 11, tolerance: 1e-4) { failures.append(f) }
            }
        }
        KernelCheck.record(failures)
    }

    /// The whole compiled ResNet-18 with every 3×3 stride-1 convolution on each Winograd
    /// variant (the others on the heuristic) against PyTorch's logits, batch 1 and 3, within
    /// 5e-4 · max |reference| (CompiledFixtureTests covers F(2,3) the same way).
    @Test func resnet18WithF4x3MatchesPyTorchLogits() throws {
        guard let program = CompileFixtures.fixtureProgram else { return }
        let example = [Tensor.randn([1, 3, 224, 224], seed: 0)]
        let path = try aotCompile(program, exampleInputs: example, options: CompileFixtures.options(forced: .winogradF4x3))
        try CompiledFixtureTests.expectFixtureLogits(path, "forced winograd_f4x3")
    }
}
