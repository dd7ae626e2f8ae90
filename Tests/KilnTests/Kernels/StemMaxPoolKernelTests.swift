import CKilnKernels
import Testing
@testable import Kiln

/// The stem convolution that max-pools its own rows (`kiln_conv2d_stem_maxpool`) against the
/// two steps it replaces, `kiln_conv2d_stem` then `kiln_maxpool2d`: the same bits (NaNs
/// included), since it computes the rows with the same tiles and pools them with the same row
/// code. Its naive twin (`kiln_conv2d_stem_maxpool_ref`) against `kiln_conv2d_ref` then
/// `kiln_maxpool2d_ref` on the unpacked weights, within `KernelCheck`'s 1e-4 · max(1, max |ref|)
/// (double sums in both; only the order differs). Every failing case names its parameters.
/// Not serialized: the thread counts set here belong to the calling thread.
@Suite struct StemMaxPoolKernelTests {
    struct Pool {
        var k: (Int, Int), s: (Int, Int), p: (Int, Int), ceil = false

        func params(over c: kiln_conv2d_params) -> kiln_maxpool2d_params {
            kiln_maxpool2d_params(n: c.n, c: c.oc, h: c.oh, w: c.ow, kh: Int32(k.0), kw: Int32(k.1), stride_h: Int32(s.0),
                                  stride_w: Int32(s.1), pad_h: Int32(p.0), pad_w: Int32(p.1), dil_h: 1, dil_w: 1,
                                  ceil_mode: ceil ? 1 : 0, oh: 0, ow: 0)
        }
    }

    static func bits(_ v: [Float], _ count: Int) -> [UInt32] { v.prefix(count).map(\.bitPattern) }

    /// One case: nil when it passes, else what failed. `nanAt` puts a NaN into the input there.
    static func check(_ p: kiln_conv2d_params, _ pool: Pool, bias useBias: Bool, seed: Int, nanAt: Int? = nil) -> String? {
        var p = p, q = pool.params(over: p)
        guard kiln_maxpool2d_init(&q) == 0 else { return nil }
        let name = "stem+maxpool " + ConvKernelTests.describe(p, bias: useBias, residual: false)
            + " pool k=\(q.kh)x\(q.kw) s=\(q.stride_h)x\(q.stride_w) p=\(q.pad_h),\(q.pad_w) ceil=\(q.ceil_mode) -> \(q.oh)x\(q.ow)"
        guard kiln_conv2d_stem_maxpool_applicable(&p, &q) != 0 else { return "not applicable: " + name }
        let convCount = Int(p.n * p.oc * p.oh * p.ow), count = Int(q.n * q.c * q.oh * q.ow)
        var x = KernelCheck.inputs(Int(p.n * p.c * p.h * p.w), seed: seed)
        if let i = nanAt { x[i % x.count] = .nan }
        let w = KernelCheck.inputs(Int(p.oc * p.c * p.kh * p.kw), seed: seed + 1)
        let bias = useBias ? KernelCheck.inputs(Int(p.oc), seed: seed + 2) : nil
        var packed = [Float](repeating: 0, count: kiln_conv2d_stem_packed_size(&p))
        kiln_conv2d_stem_pack(&p, w, &packed)
        var conv = [Float](repeating: 0, count: convCount), twoSteps = KernelCheck.guarded(count)
        kiln_conv2d_stem(&p, x, packed, bias, nil, &conv)
        kiln_maxpool2d(&q, conv, &twoSteps)
        var fused = KernelCheck.guarded(count), twin = fused, want = fused
        kiln_conv2d_stem_maxpool(&p, &q, x, packed, bias, &fused)
        if !KernelCheck.guardIntact(fused, count: count) { return name + ": wrote past the end of the output" }
        if Self.bits(fused, count) != Self.bits(twoSteps, count) {
            let at = (0..<count).first { fused[$0].bitPattern != twoSteps[$0].bitPattern }!
            return name + ": differs from stem + maxpool at \(at): \(fused[at]) vs \(twoSteps[at])"
        }
        kiln_conv2d_stem_maxpool_ref(&p, &q, x, packed, bias, &twin)
        kiln_conv2d_ref(&p, x, w, bias, nil, &conv)
        kiln_maxpool2d_ref(&q, conv, &want)
        return KernelCheck.mismatch(twin, want, count: count, params: name + " twin vs kiln_conv2d_ref + kiln_maxpool2d_ref")
    }

    /// Stem kernels 3, 5 and 7 (strides 1 and 2, rectangular 3×5), 1–4 input channels, output
    /// channels on and off the 8-channel blocks, batches 1, 2 and 5 (channel shares, row groups
    /// and whole images per task), on 1–3 threads; pools 3/2 pad 1 (ResNet's), 2/2, 3/1, 5/3
    /// pad 2 (the tallest window the ring takes), 1/1, ceil mode, a stride beyond the window
    /// (rows no window reads) and a rectangular one; every epilogue activation in turn.
    @Test func matchesTheTwoStepsOverSweptShapes() {
        defer { kiln_set_thread_num_threads(0) }
        let acts = ConvEpilogueTests.activations.map(\.c)
        let convs: [((Int, Int), (Int, Int), (Int, Int))] = [((3, 3), (2, 2), (1, 1)), ((7, 7), (2, 2), (3, 3)),
                                                            ((5, 5), (1, 1), (2, 2)), ((3, 5), (1, 2), (1, 2))]
        let pools = [Pool(k: (3, 3), s: (2, 2), p: (1, 1)), Pool(k: (2, 2), s: (2, 2), p: (0, 0)), Pool(k: (3, 3), s: (1, 1), p: (1, 1)),
                     Pool(k: (5, 5), s: (3, 3), p: (2, 2)), Pool(k: (1, 1), s: (1, 1), p: (0, 0)),
                     Pool(k: (3, 3), s: (2, 2), p: (1, 1), ceil: true), Pool(k: (2, 2), s: (4, 3), p: (1, 0)),
                     Pool(k: (3, 2), s: (2, 1), p: (1, 1))]
        let sizes = [(21, 23), (9, 40), (34, 17)]
        var failures: [String] = [], cases = 0
        for threads in [1, 2, 3] {
            kiln_set_thread_num_threads(Int32(threads))
            for (ci, (k, s, pad)) in convs.enumerated() {
                for (si, (h, w)) in sizes.enumerated() {
                    for (pi, pool) in pools.enumerated() {
                        let c = 1 + (ci + pi) % 4, oc = [8, 9, 33, 64, 3][(ci + si + pi) % 5], n = [1, 2, 5][(si + pi + threads) % 3]
                        var p = ConvKernelTests.params(n: n, c: c, h: h, w: w, oc: oc, k: k, stride: s, pad: pad,
                                                       act: acts[cases % acts.count])
                        guard kiln_conv2d_init(&p) == 0 else { continue }
                        cases += 1
                        if let f = Self.check(p, pool, bias: cases % 2 == 0, seed: cases) { failures.append("\(threads) threads: " + f) }
                    }
                }
            }
        }
        #expect(cases > 250, "only \(cases) valid shapes")
        KernelCheck.record(failures)
    }

    /// ResNet's stem at full size (7×7 stride 2 to 64 channels, ReLU, 3×3 stride-2 pool on a
    /// 224² image), batch 1 (channel shares) and 3 (row groups), on 2 threads.
    @Test func matchesOnResNetStem() {
        defer { kiln_set_thread_num_threads(0) }
        kiln_set_thread_num_threads(2)
        for n in [1, 3] {
            var p = ConvKernelTests.params(n: n, c: 3, h: 224, w: 224, oc: 64, k: (7, 7), stride: (2, 2), pad: (3, 3), relu: true)
            #expect(kiln_conv2d_init(&p) == 0)
            if let f = Self.check(p, Pool(k: (3, 3), s: (2, 2), p: (1, 1)), bias: true, seed: 11 + n) { Issue.record(Comment(rawValue: f)) }
        }
    }

    /// A NaN in the input reaches the pooled outputs whose windows read it, as in the two steps.
    @Test func propagatesNaN() {
        var p = ConvKernelTests.params(n: 2, c: 3, h: 30, w: 26, oc: 16, k: (3, 3), stride: (2, 2), pad: (1, 1), relu: true)
        #expect(kiln_conv2d_init(&p) == 0)
        for at in [0, 777, 4000] {
            if let f = Self.check(p, Pool(k: (3, 3), s: (2, 2), p: (1, 1)), bias: true, seed: 3, nanAt: at) {
                Issue.record(Comment(rawValue: f))
            }
        }
    }

    /// Refused: a pool that does not match the convolution's output, dilation, a window taller
    /// than the ring holds, rows beyond the row buffer, and a convolution the stem does not take.
    @Test func applicability() {
        func applies(_ p: kiln_conv2d_params, _ edit: (inout kiln_maxpool2d_params) -> Void = { _ in }) -> Bool {
            var p = p
            _ = kiln_conv2d_init(&p)
            var q = Pool(k: (3, 3), s: (2, 2), p: (1, 1)).params(over: p)
            edit(&q)
            _ = kiln_maxpool2d_init(&q)
            return kiln_conv2d_stem_maxpool_applicable(&p, &q) != 0
        }
        let resnet = ConvKernelTests.params(n: 1, c: 3, h: 224, w: 224, oc: 64, k: (7, 7), stride: (2, 2), pad: (3, 3))
        #expect(applies(resnet))
        #expect(applies(resnet) { $0.kh = 5; $0.pad_h = 2 })
        #expect(!applies(resnet) { $0.kh = 6; $0.pad_h = 2 })
        #expect(!applies(resnet) { $0.dil_h = 2 })
        #expect(!applies(resnet) { $0.w -= 1 })
        #expect(!applies(resnet) { $0.c = 32 })
        #expect(!applies(ConvKernelTests.params(n: 1, c: 5, h: 32, w: 32, oc: 8, k: (3, 3), pad: (1, 1))))
    }
}
