import CKilnKernels
import Testing

/// Max pooling and adaptive average pooling: fast against reference, and the references
/// against hand-computed PyTorch results.
@Suite struct PoolKernelTests {
    static func params(n: Int = 1, c: Int = 1, h: Int, w: Int, k: (Int, Int), stride: (Int, Int),
                       pad: (Int, Int) = (0, 0), dil: (Int, Int) = (1, 1), ceil: Bool = false) -> kiln_maxpool2d_params {
        kiln_maxpool2d_params(n: Int32(n), c: Int32(c), h: Int32(h), w: Int32(w), kh: Int32(k.0), kw: Int32(k.1),
                              stride_h: Int32(stride.0), stride_w: Int32(stride.1), pad_h: Int32(pad.0), pad_w: Int32(pad.1),
                              dil_h: Int32(dil.0), dil_w: Int32(dil.1), ceil_mode: ceil ? 1 : 0, oh: 0, ow: 0)
    }

    static func describe(_ p: kiln_maxpool2d_params) -> String {
        "maxpool2d n=\(p.n) c=\(p.c) h=\(p.h) w=\(p.w) k=\(p.kh)x\(p.kw) stride=\(p.stride_h)x\(p.stride_w) "
            + "pad=\(p.pad_h)x\(p.pad_w) dil=\(p.dil_h)x\(p.dil_w) ceil=\(p.ceil_mode) -> \(p.oh)x\(p.ow)"
    }

    /// PyTorch's pooling_output_shape, re-derived here independently of the C code.
    static func expectedOut(_ inp: Int, _ k: Int, _ s: Int, _ p: Int, _ d: Int, ceil: Bool) -> Int {
        var out = KernelCheck.floorDiv(inp + 2 * p - d * (k - 1) - 1 + (ceil ? s - 1 : 0), s) + 1
        if ceil && (out - 1) * s >= inp + p { out -= 1 }
        return out
    }

    static func runMaxRef(_ p: kiln_maxpool2d_params, _ x: [Float]) -> [Float] {
        var p = p
        precondition(kiln_maxpool2d_init(&p) == 0)
        var y = [Float](repeating: 0, count: Int(p.n * p.c * p.oh * p.ow))
        kiln_maxpool2d_ref(&p, x, &y)
        return y
    }

    @Test func maxpoolSweepMatchesReference() {
        var failures: [String] = [], valid = 0, seed = 0
        for (n, c, h, w) in [(1, 1, 7, 6), (2, 3, 8, 8), (1, 2, 5, 9), (2, 1, 1, 4)] {
            for k in [1, 2, 3] {
                for s in [1, 2, 3] {
                    for pad in [0, 1] {
                        for d in [1, 2] {
                            for ceil in [false, true] {
                                seed += 1
                                // Asymmetric on purpose when possible: width uses the next stride.
                                let sw = s % 3 + 1
                                var p = Self.params(n: n, c: c, h: h, w: w, k: (k, k), stride: (s, sw), pad: (pad, pad),
                                                    dil: (d, d), ceil: ceil)
                                let oh = Self.expectedOut(h, k, s, pad, d, ceil: ceil)
                                let ow = Self.expectedOut(w, k, sw, pad, d, ceil: ceil)
                                let ok = pad <= k / 2 && oh >= 1 && ow >= 1
                                let rc = kiln_maxpool2d_init(&p)
                                if rc != (ok ? 0 : -1) || (ok && (Int(p.oh) != oh || Int(p.ow) != ow)) {
                                    failures.append("\(Self.describe(p)): init returned \(rc), expected \(ok ? 0 : -1) with \(oh)x\(ow)")
                                    continue
                                }
                                guard ok else { continue }
                                valid += 1
                                let count = n * c * oh * ow
                                let x = KernelCheck.inputs(n * c * h * w, seed: seed)
                                var ref = KernelCheck.guarded(count), fast = ref
                                kiln_maxpool2d_ref(&p, x, &ref)
                                kiln_maxpool2d(&p, x, &fast)
                                // Max is exact: the fast path must agree bit for bit.
                                if fast != ref { failures.append("\(Self.describe(p)): fast differs from reference") }
                            }
                        }
                    }
                }
            }
        }
        #expect(valid > 200, "maxpool sweep ran only \(valid) valid cases")
        KernelCheck.record(failures)
    }

    /// ResNet's stem pool (3 wide, stride 2, pad 1) has its own vectorised column step: every
    /// width across one to three vectors of outputs, both ceil modes, with NaNs, infinities and
    /// signed zeros planted, must match the reference bit for bit.
    @Test func maxpoolStemGeometryBitExact() {
        var failures: [String] = []
        for w in 1...70 {
            for ceil in [false, true] {
                var p = Self.params(n: 1, c: 2, h: 5, w: w, k: (3, 3), stride: (2, 2), pad: (1, 1), ceil: ceil)
                guard kiln_maxpool2d_init(&p) == 0 else { failures.append("\(Self.describe(p)): init failed"); continue }
                var x = KernelCheck.inputs(2 * 5 * w, seed: w * 2 + (ceil ? 1 : 0))
                for (i, special) in [Float.nan, -0.0, 0.0, .infinity, -.infinity].enumerated() where x.count > i * 7 {
                    x[(i * 7 + w) % x.count] = special
                }
                let count = 2 * Int(p.oh) * Int(p.ow)
                var ref = KernelCheck.guarded(count), fast = ref
                kiln_maxpool2d_ref(&p, x, &ref)
                kiln_maxpool2d(&p, x, &fast)
                if let i = ref.indices.first(where: { ref[$0].bitPattern != fast[$0].bitPattern }) {
                    failures.append("\(Self.describe(p)): output \(i) is \(fast[i]), reference \(ref[i])")
                }
            }
        }
        KernelCheck.record(failures)
    }

    @Test func maxpoolLargeThreaded() {
        var p = Self.params(n: 2, c: 64, h: 56, w: 56, k: (3, 3), stride: (2, 2), pad: (1, 1))
        #expect(kiln_maxpool2d_init(&p) == 0 && p.oh == 28 && p.ow == 28)
        let x = KernelCheck.inputs(2 * 64 * 56 * 56, seed: 9)
        let count = 2 * 64 * 28 * 28
        var ref = KernelCheck.guarded(count), fast = ref
        kiln_maxpool2d_ref(&p, x, &ref)
        kiln_maxpool2d(&p, x, &fast)
        #expect(fast == ref, "\(Self.describe(p)): fast differs from reference")
    }

    @Test func maxpoolReferenceHandComputed() {
        let x: [Float] = [1, 2, 3, 4, 5, 6, 7, 8, 9]
        #expect(Self.runMaxRef(Self.params(h: 3, w: 3, k: (2, 2), stride: (1, 1)), x) == [5, 6, 8, 9])
        // Padding is -inf, not 0: an all-negative input never yields 0.
        let neg = x.map { -$0 }
        #expect(Self.runMaxRef(Self.params(h: 3, w: 3, k: (3, 3), stride: (2, 2), pad: (1, 1)), neg) == [-1, -2, -4, -5])
        // ceil_mode adds a partial last window that starts inside the input.
        let ramp = (0..<25).map(Float.init)
        #expect(Self.runMaxRef(Self.params(h: 5, w: 5, k: (2, 2), stride: (2, 2)), ramp) == [6, 8, 16, 18])
        #expect(Self.runMaxRef(Self.params(h: 5, w: 5, k: (2, 2), stride: (2, 2), ceil: true), ramp)
            == [6, 8, 9, 16, 18, 19, 21, 23, 24])
        // Dilation 2: taps two apart.
        #expect(Self.runMaxRef(Self.params(h: 1, w: 5, k: (1, 2), stride: (1, 1), dil: (1, 2)), [5, 0, 1, 9, 2])
            == [5, 9, 2])
        // NaN propagates, as in PyTorch.
        let withNaN: [Float] = [1, .nan, 3, 4]
        let pooled = Self.runMaxRef(Self.params(h: 2, w: 2, k: (2, 2), stride: (2, 2)), withNaN)
        #expect(pooled.count == 1 && pooled[0].isNaN)
    }

    @Test func maxpoolInitFollowsPyTorch() {
        // ceil_mode drops a last window that would start past the input and left padding.
        var a = Self.params(h: 2, w: 4, k: (1, 2), stride: (2, 3), pad: (0, 1), ceil: true)
        #expect(kiln_maxpool2d_init(&a) == 0 && a.oh == 1 && a.ow == 2)
        var b = Self.params(h: 112, w: 112, k: (3, 3), stride: (2, 2), pad: (1, 1))
        #expect(kiln_maxpool2d_init(&b) == 0 && b.oh == 56 && b.ow == 56)
        var c = Self.params(h: 6, w: 6, k: (3, 3), stride: (2, 2), ceil: true) // floor 2, ceil 3
        #expect(kiln_maxpool2d_init(&c) == 0 && c.oh == 3 && c.ow == 3)
        for (why, p) in [("pad > kernel/2", Self.params(h: 5, w: 5, k: (3, 3), stride: (1, 1), pad: (2, 0))),
                         ("pad on 1-wide kernel", Self.params(h: 5, w: 5, k: (1, 1), stride: (1, 1), pad: (0, 1))),
                         ("zero stride", Self.params(h: 5, w: 5, k: (2, 2), stride: (0, 1))),
                         ("zero dilation", Self.params(h: 5, w: 5, k: (2, 2), stride: (1, 1), dil: (0, 1))),
                         ("window larger than input", Self.params(h: 2, w: 5, k: (3, 3), stride: (1, 1)))] {
            var p = p
            #expect(kiln_maxpool2d_init(&p) == -1, "\(why) should be rejected")
        }
    }

    // MARK: adaptive average pooling

    /// Global pooling (1x1 output) takes a vector path: plane sizes around its 16- and
    /// 64-float steps and EfficientNet's 56x56, compared with the double-sum reference
    /// within KernelCheck's tolerance (1e-4 · max(1, max |ref|)).
    @Test func globalAverageSweepMatchesReference() {
        var failures: [String] = [], seed = 100
        for (n, c) in [(1, 1), (1, 5), (3, 2)] {
            for (h, w) in [(1, 1), (3, 5), (4, 4), (1, 17), (7, 9), (8, 8), (5, 13), (14, 14), (56, 56)] {
                seed += 1
                let x = KernelCheck.inputs(n * c * h * w, seed: seed)
                var ref = KernelCheck.guarded(n * c), fast = ref
                kiln_adaptive_avgpool2d_ref(Int32(n), Int32(c), Int32(h), Int32(w), 1, 1, x, &ref)
                kiln_adaptive_avgpool2d(Int32(n), Int32(c), Int32(h), Int32(w), 1, 1, x, &fast)
                let name = "global avgpool n=\(n) c=\(c) h=\(h) w=\(w)"
                if !KernelCheck.guardIntact(fast, count: n * c) { failures.append("\(name): overran") }
                if let m = KernelCheck.mismatch(fast, ref, count: n * c, params: name) { failures.append(m) }
            }
        }
        KernelCheck.record(failures)
    }

    @Test func adaptiveSweepMatchesReference() {
        var failures: [String] = [], seed = 0
        for (n, c) in [(1, 3), (2, 2)] {
            for h in [1, 5, 7, 8] {
                for w in [1, 6, 7] {
                    for oh in [1, 2, 3, 5, 7] {
                        for ow in [1, 2, 4, 7] {
                            seed += 1
                            let count = n * c * oh * ow
                            let x = KernelCheck.inputs(n * c * h * w, seed: seed)
                            var ref = KernelCheck.guarded(count), fast = ref
                            kiln_adaptive_avgpool2d_ref(Int32(n), Int32(c), Int32(h), Int32(w), Int32(oh), Int32(ow), x, &ref)
                            kiln_adaptive_avgpool2d(Int32(n), Int32(c), Int32(h), Int32(w), Int32(oh), Int32(ow), x, &fast)
                            let name = "adaptive_avgpool2d n=\(n) c=\(c) h=\(h) w=\(w) -> \(oh)x\(ow)"
                            if !KernelCheck.guardIntact(ref, count: count) { failures.append("\(name): reference overran") }
                            if let m = KernelCheck.mismatch(fast, ref, count: count, params: name) { failures.append(m) }
                        }
                    }
                }
            }
        }
        // Global pooling of a ResNet feature map, large enough to be threaded.
        let x = KernelCheck.inputs(2 * 512 * 49, seed: 77)
        var ref = KernelCheck.guarded(1024), fast = ref
        kiln_adaptive_avgpool2d_ref(2, 512, 7, 7, 1, 1, x, &ref)
        kiln_adaptive_avgpool2d(2, 512, 7, 7, 1, 1, x, &fast)
        if let m = KernelCheck.mismatch(fast, ref, count: 1024, params: "adaptive_avgpool2d n=2 c=512 7x7 -> 1x1") { failures.append(m) }
        KernelCheck.record(failures)
    }

    @Test func adaptiveReferenceHandComputed() {
        let ramp = (0..<25).map(Float.init)
        var y = [Float](repeating: 0, count: 4)
        // 5 -> 2: bins [0, 3) and [2, 5) overlap on row/column 2.
        kiln_adaptive_avgpool2d_ref(1, 1, 5, 5, 2, 2, ramp, &y)
        #expect(y == [6, 8, 16, 18])
        var g: [Float] = [0]
        kiln_adaptive_avgpool2d_ref(1, 1, 5, 5, 1, 1, ramp, &g)
        #expect(g == [12])
        // 3 -> 2 along width: bins [0, 2) and [1, 3).
        var r = [Float](repeating: 0, count: 2)
        kiln_adaptive_avgpool2d_ref(1, 1, 1, 3, 1, 2, [1, 2, 4], &r)
        #expect(r == [1.5, 3])
        // 2 -> 3 (output larger than input): bins [0,1), [0,2), [1,2).
        var u = [Float](repeating: 0, count: 3)
        kiln_adaptive_avgpool2d_ref(1, 1, 1, 2, 1, 3, [2, 4], &u)
        #expect(u == [2, 3, 4])
    }
}
