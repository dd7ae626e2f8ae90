import CKilnKernels
import Testing
@testable import Kiln

/// The packed-GEMM pointwise convolution on channel-scaled input (`kiln_conv2d_gemm_scaled`,
/// a squeeze-excitation multiply folded into B's packing) against its twin
/// `kiln_conv2d_gemm_scaled_ref` (`kiln_conv2d_ref` of x · scale), over shapes that reach each
/// of the GEMM's schedules (pixel pieces, output-channel pieces, grouped images, K split) on 1
/// and 2 threads and both microkernels. Tolerance: 1e-4 · max(1, max |ref|).
@Suite struct GemmScaledKernelTests {
    /// One case; returns a failure message or nil.
    static func check(_ p: kiln_conv2d_params, bias useBias: Bool, residual useResidual: Bool, seed: Int, path: String) -> String? {
        var p = p
        let xCount = Int(p.n * p.c * p.h * p.w), wCount = Int(p.oc * p.c), yCount = Int(p.n * p.oc * p.oh * p.ow)
        let x = KernelCheck.inputs(xCount, seed: seed), w = KernelCheck.inputs(wCount, seed: seed + 1)
        let scale = KernelCheck.inputs(Int(p.n * p.c), seed: seed + 4)
        let bias = useBias ? KernelCheck.inputs(Int(p.oc), seed: seed + 2) : nil
        let residual = useResidual ? KernelCheck.inputs(yCount, seed: seed + 3) : nil
        var packed = KernelCheck.guarded(kiln_conv2d_gemm_packed_size(&p))
        kiln_conv2d_gemm_pack(&p, w, &packed)
        var ref = KernelCheck.guarded(yCount), fast = ref
        guard kiln_conv2d_gemm_scaled_ref(&p, x, scale, w, bias, residual, &ref) == 0 else { return "reference out of memory" }
        kiln_conv2d_gemm_scaled(&p, x, scale, packed, bias, residual, &fast)
        let name = "gemm_scaled[\(path)] " + ConvKernelTests.describe(p, bias: useBias, residual: useResidual)
        if !KernelCheck.guardIntact(fast, count: yCount) { return name + ": wrote past y" }
        return KernelCheck.mismatch(fast, ref, count: yCount, params: name)
    }

    @Test func sweepMatchesReference() {
        defer { kiln_gemm_force_portable(0); kiln_set_thread_num_threads(0) }
        var failures: [String] = [], cases = 0
        // (n, c, h, w, oc): 1 to 50 B panels (pixel split), few pixels with many output channels
        // (M split; with c >= 768 the K split on 2 threads), batches of 7x7 and 5x5 images (grouped).
        let shapes = [(1, 3, 4, 5, 2), (1, 32, 12, 12, 16), (1, 24, 11, 9, 40), (2, 16, 10, 10, 8), (1, 40, 7, 7, 96),
                      (1, 800, 3, 5, 24), (1, 1152, 7, 7, 40), (3, 40, 7, 7, 17), (6, 24, 5, 5, 33), (4, 9, 1, 1, 5),
                      (1, 200, 1, 1, 20)]
        for (path, portable) in GemmKernelTests.paths {
            kiln_gemm_force_portable(portable)
            for threads in [1, 2] {
                kiln_set_thread_num_threads(Int32(threads))
                for (n, c, h, w, oc) in shapes {
                    cases += 1
                    var p = ConvKernelTests.params(n: n, c: c, h: h, w: w, oc: oc, k: (1, 1))
                    p.act = ConvKernelTests.actRelu(cases % 2 == 0)
                    #expect(kiln_conv2d_init(&p) == 0)
                    #expect(kiln_conv2d_gemm_scaled_applicable(&p) != 0)
                    if let f = Self.check(p, bias: cases % 3 != 0, residual: cases % 4 == 1, seed: cases, path: "\(path), \(threads) threads") {
                        failures.append(f)
                    }
                }
            }
        }
        #expect(cases >= 2 * shapes.count)
        KernelCheck.record(failures)
    }

    @Test func onlyPointwiseLayersApply() {
        var p = ConvKernelTests.params(n: 1, c: 8, h: 6, w: 6, oc: 4, k: (3, 3), pad: (1, 1))
        #expect(kiln_conv2d_init(&p) == 0)
        #expect(kiln_conv2d_gemm_scaled_applicable(&p) == 0)
        var q = ConvKernelTests.params(n: 1, c: 8, h: 6, w: 6, oc: 4, k: (1, 1), stride: (2, 2))
        #expect(kiln_conv2d_init(&q) == 0)
        #expect(kiln_conv2d_gemm_scaled_applicable(&q) == 0)
    }
}
