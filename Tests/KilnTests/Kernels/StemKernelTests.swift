import CKilnKernels
import Testing
@testable import Kiln

/// The direct few-channel convolution (`kiln_conv2d_stem`, a CNN's first layer) and its naive
/// twin (`kiln_conv2d_stem_ref`, over the same packed weights) against `kiln_conv2d_ref` on the
/// unpacked weights. Tolerance: `KernelCheck`'s 1e-4 · max(1, max |ref|) (both sum the same
/// products in fp32 or double; only the order differs). Every failing case is reported with
/// its parameters.
@Suite struct StemKernelTests {
    static func check(_ p: kiln_conv2d_params, bias useBias: Bool, residual useResidual: Bool, seed: Int) -> String? {
        var p = p
        let wCount = Int(p.oc * p.c * p.kh * p.kw), yCount = Int(p.n * p.oc * p.oh * p.ow)
        let x = KernelCheck.inputs(Int(p.n * p.c * p.h * p.w), seed: seed), w = KernelCheck.inputs(wCount, seed: seed + 1)
        let bias = useBias ? KernelCheck.inputs(Int(p.oc), seed: seed + 2) : nil
        let residual = useResidual ? KernelCheck.inputs(yCount, seed: seed + 3) : nil
        var packed = KernelCheck.guarded(kiln_conv2d_stem_packed_size(&p))
        kiln_conv2d_stem_pack(&p, w, &packed)
        var want = KernelCheck.guarded(yCount), fast = want, twin = want
        kiln_conv2d_ref(&p, x, w, bias, residual, &want)
        kiln_conv2d_stem(&p, x, packed, bias, residual, &fast)
        kiln_conv2d_stem_ref(&p, x, packed, bias, residual, &twin)
        let name = "stem " + ConvKernelTests.describe(p, bias: useBias, residual: useResidual)
        if !KernelCheck.guardIntact(packed, count: packed.count - KernelCheck.guardCount) { return name + ": pack wrote past its size" }
        if let f = KernelCheck.mismatch(twin, want, count: yCount, params: name + " twin vs kiln_conv2d_ref") { return f }
        return KernelCheck.mismatch(fast, want, count: yCount, params: name)
    }

    /// Kernels 1, 3, 5, 7 and 3×5, strides 1 and 2 (and 1×2), symmetric, asymmetric and no pads,
    /// dilation 2, 1–4 input channels, output channels on and off the 4-channel blocks (1, 4, 5,
    /// 9, 33), widths giving 1 to 7 vectors per row with partial last ones (1 … 110), heights
    /// with bands cut short, batches 1 and 3, bias and residual on and off, and every epilogue
    /// activation in turn.
    @Test func matchesReferenceOverSweptShapes() {
        let acts = ConvEpilogueTests.activations.map(\.c)
        var failures: [String] = [], cases = 0
        let kernels: [((Int, Int), (Int, Int), (Int, Int), (Int, Int))] = [ // kernel, pads (t, l), pads (b, r), dilation
            ((3, 3), (1, 1), (1, 1), (1, 1)), ((3, 3), (0, 0), (1, 1), (1, 1)), ((5, 5), (2, 2), (2, 2), (1, 1)),
            ((7, 7), (3, 3), (3, 3), (1, 1)), ((7, 7), (3, 2), (1, 4), (1, 1)), ((1, 1), (0, 0), (0, 0), (1, 1)),
            ((3, 5), (1, 2), (0, 1), (1, 1)), ((3, 3), (2, 2), (2, 2), (2, 2)), ((5, 5), (0, 0), (0, 0), (1, 1)),
        ]
        let sizes = [(9, 11), (1, 1), (17, 33), (6, 110), (5, 70)]
        for (ki, (k, pad, padEnd, dil)) in kernels.enumerated() {
            for (si, (h, w)) in sizes.enumerated() {
                for stride in [(1, 1), (2, 2), (1, 2)] {
                    for c in 1...4 {
                        let oc = [1, 4, 5, 9, 33][(ki + si + c) % 5], n = (ki + c) % 3 == 0 ? 3 : 1
                        let act = acts[cases % acts.count]
                        var p = ConvKernelTests.params(n: n, c: c, h: h, w: w, oc: oc, k: k, stride: stride, pad: pad,
                                                       dil: dil, padEnd: padEnd, act: act)
                        guard kiln_conv2d_init(&p) == 0 else { continue }
                        guard kiln_conv2d_stem_applicable(&p) != 0 else {
                            failures.append("not applicable: " + ConvKernelTests.describe(p, bias: false, residual: false))
                            continue
                        }
                        if let f = Self.check(p, bias: cases % 2 == 0, residual: cases % 3 == 0, seed: cases) { failures.append(f) }
                        cases += 1
                    }
                }
            }
        }
        #expect(cases > 400, "only \(cases) valid shapes")
        KernelCheck.record(failures)
    }

    /// The stems it is for, at full size: ResNet's 7×7 stride 2 to 64 channels and MobileNetV2's
    /// 3×3 stride 2 to 32 on a 224² image (rows of 112 pixels in two tiles, bands of 4 rows).
    @Test func matchesReferenceOnNetworkStems() {
        let resnet = ConvKernelTests.params(n: 1, c: 3, h: 224, w: 224, oc: 64, k: (7, 7), stride: (2, 2), pad: (3, 3), relu: true)
        let mobile = ConvKernelTests.params(n: 2, c: 3, h: 224, w: 224, oc: 32, k: (3, 3), stride: (2, 2), pad: (1, 1),
                                            act: Activation.clip(min: 0, max: 6).c)
        for var p in [resnet, mobile] {
            #expect(kiln_conv2d_init(&p) == 0)
            if let f = Self.check(p, bias: true, residual: false, seed: 7) { Issue.record(Comment(rawValue: f)) }
        }
    }

    /// Batch 1 on several threads: each thread takes a share of the output-channel blocks
    /// through every band (so the layer after, split by channels, reads what its own thread
    /// wrote), shares that are uneven and end in a partial block (33 channels: 9 blocks).
    @Test func channelSharesAtBatchOne() {
        defer { kiln_set_thread_num_threads(0) }
        var failures: [String] = []
        for threads in [2, 3, 4] {
            kiln_set_thread_num_threads(Int32(threads))
            for (i, oc) in [33, 64, 18].enumerated() {
                var p = ConvKernelTests.params(n: 1, c: 3, h: 30, w: 38, oc: oc, k: (3, 3), stride: (2, 2), pad: (1, 1),
                                               act: Activation.clip(min: 0, max: 6).c)
                guard kiln_conv2d_init(&p) == 0 else { failures.append("init refused oc \(oc)"); continue }
                if let f = Self.check(p, bias: true, residual: i == 1, seed: 40 + i) { failures.append("\(threads) threads: " + f) }
            }
        }
        KernelCheck.record(failures)
    }

    /// One group, at most 4 input channels, stride_w 1 or 2, rows short enough for the line
    /// buffer; anything else is refused (and goes to the other algorithms).
    @Test func applicability() {
        func applies(_ p: kiln_conv2d_params) -> Bool {
            var p = p
            _ = kiln_conv2d_init(&p)
            return kiln_conv2d_stem_applicable(&p) != 0
        }
        #expect(applies(ConvKernelTests.params(n: 1, c: 3, h: 224, w: 224, oc: 64, k: (7, 7), stride: (2, 2), pad: (3, 3))))
        #expect(applies(ConvKernelTests.params(n: 1, c: 4, h: 8, w: 8, oc: 4, k: (3, 3), stride: (3, 1), pad: (1, 1))))
        #expect(!applies(ConvKernelTests.params(n: 1, c: 5, h: 8, w: 8, oc: 4, k: (3, 3), pad: (1, 1))))
        #expect(!applies(ConvKernelTests.params(n: 1, c: 4, h: 8, w: 8, oc: 4, k: (3, 3), pad: (1, 1), groups: 2)))
        #expect(!applies(ConvKernelTests.params(n: 1, c: 3, h: 8, w: 8, oc: 4, k: (3, 3), stride: (1, 3), pad: (1, 1))))
        #expect(!applies(ConvKernelTests.params(n: 1, c: 3, h: 8, w: 20_000, oc: 4, k: (7, 7), stride: (2, 2), pad: (3, 3))))
    }
}
