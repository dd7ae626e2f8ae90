import CKilnKernels
import Foundation
import Testing

/// Fast conv2d (im2col + sgemm, pointwise, depthwise) against the naive reference, and the
/// reference itself against hand-computed values.
@Suite struct ConvKernelTests {
    static func params(n: Int, c: Int, h: Int, w: Int, oc: Int, k: (Int, Int), stride: (Int, Int) = (1, 1),
                       pad: (Int, Int) = (0, 0), dil: (Int, Int) = (1, 1), groups: Int = 1,
                       relu: Bool = false, padEnd: (Int, Int)? = nil, act: kiln_act? = nil) -> kiln_conv2d_params {
        let end = padEnd ?? pad
        return kiln_conv2d_params(n: Int32(n), c: Int32(c), h: Int32(h), w: Int32(w), oc: Int32(oc),
                                  kh: Int32(k.0), kw: Int32(k.1), stride_h: Int32(stride.0), stride_w: Int32(stride.1),
                                  pad_h: Int32(pad.0), pad_w: Int32(pad.1), dil_h: Int32(dil.0), dil_w: Int32(dil.1),
                                  groups: Int32(groups), oh: 0, ow: 0, act: act ?? actRelu(relu),
                                  pad_b: Int32(end.0), pad_r: Int32(end.1))
    }

    /// `{KILN_ACT_RELU}` or `{KILN_ACT_NONE}`.
    static func actRelu(_ on: Bool) -> kiln_act {
        kiln_act(kind: Int32(on ? KILN_ACT_RELU.rawValue : KILN_ACT_NONE.rawValue), a: 0, b: 0)
    }

    static func describe(_ p: kiln_conv2d_params, bias: Bool, residual: Bool) -> String {
        "conv2d n=\(p.n) c=\(p.c) h=\(p.h) w=\(p.w) oc=\(p.oc) k=\(p.kh)x\(p.kw) stride=\(p.stride_h)x\(p.stride_w) "
            + "pads(t,l,b,r)=\(p.pad_h),\(p.pad_w),\(p.pad_b),\(p.pad_r) dil=\(p.dil_h)x\(p.dil_w) groups=\(p.groups) -> \(p.oh)x\(p.ow) "
            + "bias=\(bias) residual=\(residual) act=\(p.act.kind)(\(p.act.a), \(p.act.b))"
    }

    /// Output size PyTorch would give, computed independently of the C code.
    static func expectedOut(_ inp: Int32, _ k: Int32, _ s: Int32, _ p: Int32, _ d: Int32) -> Int {
        KernelCheck.floorDiv(Int(inp + 2 * p - d * (k - 1) - 1), Int(s)) + 1
    }

    /// Runs reference and fast (internal and caller-provided workspace) on one parameter set;
    /// returns failure messages. `p` must already be initialised.
    static func check(_ p: kiln_conv2d_params, bias useBias: Bool, residual useResidual: Bool, seed: Int) -> [String] {
        var p = p
        let cg = Int(p.c / p.groups)
        let xCount = Int(p.n * p.c * p.h * p.w), wCount = Int(p.oc) * cg * Int(p.kh * p.kw)
        let yCount = Int(p.n * p.oc * p.oh * p.ow)
        let x = KernelCheck.inputs(xCount, seed: seed), w = KernelCheck.inputs(wCount, seed: seed + 1)
        let bias = useBias ? KernelCheck.inputs(Int(p.oc), seed: seed + 2) : nil
        let residual = useResidual ? KernelCheck.inputs(yCount, seed: seed + 3) : nil
        var ref = KernelCheck.guarded(yCount), fastInternal = ref, fastProvided = ref
        let wsCount = kiln_conv2d_workspace_size(&p)
        var workspace = KernelCheck.guarded(wsCount)
        kiln_conv2d_ref(&p, x, w, bias, residual, &ref)
        kiln_conv2d(&p, x, w, bias, residual, &fastInternal, nil)
        kiln_conv2d(&p, x, w, bias, residual, &fastProvided, &workspace)
        let name = describe(p, bias: useBias, residual: useResidual)
        var failures: [String] = []
        if !KernelCheck.guardIntact(ref, count: yCount) { failures.append("\(name): reference wrote past the output") }
        if let m = KernelCheck.mismatch(fastInternal, ref, count: yCount, params: name + " workspace=internal") { failures.append(m) }
        if let m = KernelCheck.mismatch(fastProvided, ref, count: yCount, params: name + " workspace=provided") { failures.append(m) }
        if !KernelCheck.guardIntact(workspace, count: wsCount) {
            failures.append("\(name): wrote past the \(wsCount)-float workspace")
        }
        return failures
    }

    @Test func sweepMatchesReference() {
        var failures: [String] = [], cases = 0, invalid = 0
        for n in [1, 2] {
            let (h, w) = n == 1 ? (9, 7) : (6, 8)
            for c in [1, 3, 4, 8] {
                // (groups, oc): dense, two groups when C allows, and depthwise (groups = C = OC).
                var groupings: [(Int, Int)] = [(1, 2), (1, 5), (c, c)]
                if c % 2 == 0 { groupings += [(2, 2), (2, 6)] }
                for (groups, oc) in groupings {
                    for k in [1, 3, 5] {
                        for stride in [1, 2] {
                            for pad in [0, 1, 2] {
                                for dil in [1, 2] {
                                    var p = Self.params(n: n, c: c, h: h, w: w, oc: oc, k: (k, k), stride: (stride, stride),
                                                        pad: (pad, pad), dil: (dil, dil), groups: groups)
                                    cases += 1
                                    let valid = Self.expectedOut(p.h, p.kh, p.stride_h, p.pad_h, p.dil_h) >= 1
                                        && Self.expectedOut(p.w, p.kw, p.stride_w, p.pad_w, p.dil_w) >= 1
                                    let rc = kiln_conv2d_init(&p)
                                    guard valid else {
                                        invalid += 1
                                        if rc != -1 { failures.append("\(Self.describe(p, bias: false, residual: false)): init accepted an empty output") }
                                        continue
                                    }
                                    guard rc == 0 else { failures.append("\(Self.describe(p, bias: false, residual: false)): init rejected"); continue }
                                    // Every shape with all 8 (bias, residual, relu) epilogues.
                                    for epi in 0..<8 {
                                        p.act = Self.actRelu(epi & 4 != 0)
                                        failures += Self.check(p, bias: epi & 1 != 0, residual: epi & 2 != 0, seed: cases * 8 + epi)
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        #expect(cases - invalid > 900, "sweep ran only \(cases - invalid) valid shapes")
        KernelCheck.record(failures)
    }

    /// 7x7 stride-2 stems, asymmetric kernels/strides/paddings/dilations (to catch h/w
    /// swaps), and shapes big enough to run on several threads.
    @Test(arguments: [
        (ConvKernelTests.params(n: 1, c: 3, h: 16, w: 15, oc: 8, k: (7, 7), stride: (2, 2), pad: (3, 3), relu: true), true, false),
        (ConvKernelTests.params(n: 2, c: 4, h: 15, w: 16, oc: 8, k: (7, 7), stride: (2, 2), pad: (0, 0)), true, true),
        (ConvKernelTests.params(n: 2, c: 4, h: 15, w: 15, oc: 4, k: (7, 7), stride: (2, 2), pad: (3, 3), groups: 4, relu: true), true, true),
        (ConvKernelTests.params(n: 1, c: 8, h: 14, w: 14, oc: 8, k: (7, 7), stride: (2, 2), pad: (2, 2), dil: (2, 2), groups: 2), false, true),
        (ConvKernelTests.params(n: 2, c: 3, h: 9, w: 7, oc: 5, k: (3, 1), stride: (2, 1), pad: (1, 0)), true, true),
        (ConvKernelTests.params(n: 1, c: 4, h: 7, w: 10, oc: 6, k: (1, 3), stride: (1, 3), pad: (0, 1), dil: (1, 2), groups: 2, relu: true), true, false),
        (ConvKernelTests.params(n: 2, c: 6, h: 8, w: 9, oc: 6, k: (5, 3), stride: (2, 1), pad: (2, 0), dil: (1, 2), groups: 6), true, true),
        (ConvKernelTests.params(n: 1, c: 2, h: 5, w: 5, oc: 3, k: (2, 4), stride: (3, 2), pad: (1, 2)), false, false),
        (ConvKernelTests.params(n: 1, c: 2, h: 4, w: 3, oc: 3, k: (1, 1), stride: (1, 1), pad: (1, 1), relu: true), true, false),
        (ConvKernelTests.params(n: 2, c: 64, h: 28, w: 28, oc: 128, k: (3, 3), stride: (1, 1), pad: (1, 1), relu: true), true, true),
        (ConvKernelTests.params(n: 2, c: 64, h: 28, w: 28, oc: 128, k: (1, 1), relu: true), true, true),
        (ConvKernelTests.params(n: 1, c: 64, h: 56, w: 56, oc: 64, k: (3, 3), stride: (2, 2), pad: (1, 1), groups: 64, relu: true), true, true),
        (ConvKernelTests.params(n: 1, c: 32, h: 20, w: 20, oc: 32, k: (3, 3), pad: (1, 1), groups: 8), true, false),
    ])
    func specialShapesMatchReference(_ p: kiln_conv2d_params, bias: Bool, residual: Bool) {
        var p = p
        #expect(kiln_conv2d_init(&p) == 0, "\(Self.describe(p, bias: bias, residual: residual)): init rejected")
        KernelCheck.record(Self.check(p, bias: bias, residual: residual, seed: Int(p.c * p.oc + p.kh)))
    }

    @Test func pointwiseAndDepthwiseNeedNoWorkspace() {
        var pw = Self.params(n: 1, c: 8, h: 5, w: 5, oc: 4, k: (1, 1))
        var dw = Self.params(n: 1, c: 8, h: 5, w: 5, oc: 8, k: (3, 3), pad: (1, 1), groups: 8)
        var dense = Self.params(n: 2, c: 8, h: 5, w: 5, oc: 4, k: (3, 3), stride: (2, 2), pad: (1, 1))
        #expect(kiln_conv2d_init(&pw) == 0 && kiln_conv2d_init(&dw) == 0 && kiln_conv2d_init(&dense) == 0)
        #expect(kiln_conv2d_workspace_size(&pw) == 0)
        #expect(kiln_conv2d_workspace_size(&dw) == 0)
        #expect(kiln_conv2d_workspace_size(&dense) == 8 * 9 * 3 * 3) // one image's columns
    }

    @Test func initValidates() {
        var ok = Self.params(n: 1, c: 3, h: 224, w: 224, oc: 64, k: (7, 7), stride: (2, 2), pad: (3, 3))
        #expect(kiln_conv2d_init(&ok) == 0 && ok.oh == 112 && ok.ow == 112)
        let bad: [(String, kiln_conv2d_params)] = [
            ("C not divisible by groups", Self.params(n: 1, c: 3, h: 5, w: 5, oc: 4, k: (1, 1), groups: 2)),
            ("OC not divisible by groups", Self.params(n: 1, c: 4, h: 5, w: 5, oc: 3, k: (1, 1), groups: 2)),
            ("zero batch", Self.params(n: 0, c: 1, h: 5, w: 5, oc: 1, k: (1, 1))),
            ("zero out channels", Self.params(n: 1, c: 1, h: 5, w: 5, oc: 0, k: (1, 1))),
            ("zero stride", Self.params(n: 1, c: 1, h: 5, w: 5, oc: 1, k: (1, 1), stride: (0, 1))),
            ("negative pad", Self.params(n: 1, c: 1, h: 5, w: 5, oc: 1, k: (1, 1), pad: (0, -1))),
            ("zero dilation", Self.params(n: 1, c: 1, h: 5, w: 5, oc: 1, k: (3, 3), dil: (1, 0))),
            ("kernel larger than input", Self.params(n: 1, c: 1, h: 3, w: 5, oc: 1, k: (5, 1))),
            ("dilated kernel larger than input", Self.params(n: 1, c: 1, h: 5, w: 5, oc: 1, k: (3, 3), dil: (3, 3))),
        ]
        for (why, p) in bad {
            var p = p
            #expect(kiln_conv2d_init(&p) == -1, "\(why) should be rejected")
        }
        #expect(kiln_conv_out_dim(224, 7, 2, 3, 1) == 112)
        #expect(kiln_conv_out_dim(5, 3, 1, 0, 2) == 1)
        // floor, not truncation: (2 - 2 - 1) / 2 = -0.5 -> -1, so the size is 0 (truncating gives 1).
        #expect(kiln_conv_out_dim(2, 3, 2, 0, 1) == 0)
    }

    // MARK: the oracle itself

    static func runRef(_ p: kiln_conv2d_params, x: [Float], w: [Float], bias: [Float]? = nil,
                       residual: [Float]? = nil) -> [Float] {
        var p = p
        precondition(kiln_conv2d_init(&p) == 0)
        var y = [Float](repeating: .nan, count: Int(p.n * p.oc * p.oh * p.ow))
        kiln_conv2d_ref(&p, x, w, bias, residual, &y)
        return y
    }

    @Test func referenceHandComputed() {
        let x: [Float] = [1, 2, 3, 4, 5, 6, 7, 8, 9] // 1x1x3x3
        let ones = [Float](repeating: 1, count: 9)
        // Valid 3x3 box sum.
        #expect(Self.runRef(Self.params(n: 1, c: 1, h: 3, w: 3, oc: 1, k: (3, 3)), x: x, w: ones) == [45])
        // Cross-correlation, not convolution: the kernel is not flipped.
        let corner: [Float] = [1, 0, 0, 0, 0, 0, 0, 0, -1]
        #expect(Self.runRef(Self.params(n: 1, c: 1, h: 3, w: 3, oc: 1, k: (3, 3)), x: x, w: corner) == [-8])
        // Zero padding 1: neighbourhood sums.
        let same = Self.params(n: 1, c: 1, h: 3, w: 3, oc: 1, k: (3, 3), pad: (1, 1))
        #expect(Self.runRef(same, x: x, w: ones) == [12, 21, 16, 27, 45, 33, 24, 39, 28])
        // Epilogue order: + bias, + residual, then ReLU.
        var sameRelu = same
        sameRelu.act = Self.actRelu(true)
        #expect(Self.runRef(sameRelu, x: x, w: ones, bias: [-20]) == [0, 1, 0, 7, 25, 13, 4, 19, 8])
        #expect(Self.runRef(sameRelu, x: x, w: ones, bias: [-20], residual: ones) == [0, 2, 0, 8, 26, 14, 5, 20, 9])
        // Stride 2, dilation 2 on a 5x5 ramp: taps (0,0),(0,2),(2,0),(2,2) from each corner.
        let ramp = (0..<25).map(Float.init)
        let dilated = Self.params(n: 1, c: 1, h: 5, w: 5, oc: 1, k: (2, 2), stride: (2, 2), dil: (2, 2))
        #expect(Self.runRef(dilated, x: ramp, w: [1, 1, 1, 1]) == [24, 32, 64, 72])
        // Groups: each output channel sees only its own input channel.
        let grouped = Self.params(n: 1, c: 2, h: 1, w: 2, oc: 2, k: (1, 1), groups: 2)
        #expect(Self.runRef(grouped, x: [1, 2, 10, 20], w: [2, 3]) == [2, 4, 30, 60])
        // Dense 1x1 over two channels with two outputs: y[o] = sum_c w[o, c] x[c].
        let dense = Self.params(n: 1, c: 2, h: 1, w: 2, oc: 2, k: (1, 1))
        #expect(Self.runRef(dense, x: [1, 2, 10, 20], w: [1, 1, 1, -1]) == [11, 22, -9, -18])
    }

    /// Several threads running convolutions at once (each call forks its own helpers).
    @Test func concurrentCallersAgreeWithReference() {
        let shapes = [
            Self.params(n: 2, c: 16, h: 20, w: 20, oc: 32, k: (3, 3), pad: (1, 1), relu: true),
            Self.params(n: 1, c: 32, h: 24, w: 24, oc: 32, k: (3, 3), stride: (2, 2), pad: (1, 1), groups: 32),
            Self.params(n: 2, c: 32, h: 16, w: 16, oc: 48, k: (1, 1)),
            Self.params(n: 1, c: 8, h: 30, w: 30, oc: 16, k: (5, 5), stride: (2, 2), pad: (2, 2), groups: 2),
        ]
        let failures = UncheckedBox([[String]](repeating: [], count: shapes.count))
        runOnThreads(shapes.count) { i in
            var p = shapes[i]
            guard kiln_conv2d_init(&p) == 0 else { failures.withLock { $0[i] = ["init rejected \(i)"] }; return }
            var out: [String] = []
            for round in 0..<5 { out += Self.check(p, bias: true, residual: round % 2 == 0, seed: 100 * i + round) }
            failures.withLock { $0[i] = out }
        }
        KernelCheck.record(failures.value.flatMap { $0 })
    }
}
