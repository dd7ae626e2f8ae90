import CKilnKernels
import Foundation
import Testing
@testable import Kiln

/// Every convolution algorithm with every activation in its epilogue and asymmetric pads,
/// and the depthwise kernel over swept geometries, against kiln_conv2d_ref (tolerance:
/// KernelCheck's 1e-4 · max(1, max |ref|)). Serialized: it flips the process-wide
/// portable-kernel switch.
@Suite(.serialized) struct ConvEpilogueTests {
    static let activations: [Activation] = [
        .none, .relu, .clip(min: 0, max: 6), .clip(min: -0.5, max: 0.25), .leakyRelu(alpha: 0.1), .sigmoid,
        .hardSigmoid(alpha: 0.2, beta: 0.5), .hardSwish, .silu, .tanh, .gelu(tanh: false), .gelu(tanh: true),
    ]

    /// (C, H, W, OC, kernel, stride, pads (t, l, b, r), groups)
    static let shapes: [(c: Int, h: Int, w: Int, oc: Int, k: (Int, Int), s: (Int, Int), pads: (Int, Int, Int, Int), g: Int)] = [
        (4, 9, 11, 8, (3, 3), (1, 1), (1, 1, 1, 1), 1),
        (4, 9, 11, 8, (3, 3), (1, 1), (0, 0, 1, 1), 1),   // TF "SAME" for even outputs
        (3, 10, 9, 8, (3, 3), (2, 2), (0, 1, 1, 0), 1),
        (8, 6, 7, 16, (1, 1), (1, 1), (0, 0, 0, 0), 1),
        (8, 6, 7, 16, (1, 1), (2, 2), (0, 0, 1, 1), 1),
        (23, 1, 1, 13, (1, 1), (1, 1), (0, 0, 0, 0), 1),  // one pixel: the packed GEMM's in-place product
        (3, 13, 12, 8, (7, 7), (2, 2), (3, 2, 3, 4), 1),
        (8, 8, 9, 8, (3, 3), (1, 1), (1, 0, 2, 1), 4),    // grouped, not depthwise
        (8, 8, 9, 8, (1, 3), (1, 2), (0, 1, 0, 1), 1),    // rectangular kernel, unequal strides
        (6, 9, 20, 6, (3, 3), (1, 1), (1, 1, 1, 1), 6),   // depthwise
        (6, 19, 21, 6, (3, 3), (2, 2), (0, 0, 1, 1), 6),
        (5, 10, 35, 5, (5, 5), (1, 1), (2, 2, 2, 2), 5),
        (5, 11, 37, 5, (5, 5), (2, 2), (1, 2, 2, 1), 5),
    ]

    static func describe(_ i: Int, _ a: ConvAlgorithm, _ act: Activation, bias: Bool, residual: Bool, path: String) -> String {
        let s = shapes[i]
        return "\(a.rawValue)[\(path)] c=\(s.c) h=\(s.h) w=\(s.w) oc=\(s.oc) k=\(s.k) s=\(s.s) pads(t,l,b,r)=\(s.pads) g=\(s.g) act=\(act) bias=\(bias) residual=\(residual)"
    }

    @Test func everyAlgorithmHonoursActivationAndAsymmetricPads() {
        var failures: [String] = [], runs = 0
        let avx = kiln_gemm_cpu_has_avx512() != 0
        for (path, portable) in (avx ? [("avx512", false)] : []) + [("portable", true)] {
            kiln_gemm_force_portable(portable ? 1 : 0)
            kiln_winograd_force_portable(portable ? 1 : 0)
            defer { kiln_gemm_force_portable(0); kiln_winograd_force_portable(0) }
            for (i, sh) in Self.shapes.enumerated() {
                let w = Tensor.randn([sh.oc, sh.c / sh.g, sh.k.0, sh.k.1], seed: UInt64(40 + i))
                let geometry = Conv2dGeometry(kernel: (sh.k.0, sh.k.1), stride: (sh.s.0, sh.s.1), pads: sh.pads, groups: sh.g)
                let step = ConvStep(x: "x", weight: w, bias: nil, geometry: geometry)
                let shape = ConvShape(step: step, inputRow: [sh.c, sh.h, sh.w], batch: 2)
                let (oh, ow) = shape.outputSize
                let x = Tensor.randn([2, sh.c, sh.h, sh.w], seed: UInt64(i)), r = Tensor.randn([2, sh.oc, oh, ow], seed: 9)
                let b = Tensor.randn([sh.oc], seed: 10)
                for act in Self.activations {
                    for epi in 0..<4 {
                        let bias = epi & 1 != 0 ? b : nil, residual = epi & 2 != 0 ? r : nil
                        let want = Tensor.zeros([2, sh.oc, oh, ow])
                        shape.runReference(x: x.storage.base, weight: w.storage.base, bias: bias?.storage.base,
                                           residual: residual?.storage.base, activation: act, y: want.storage.base)
                        // fp32 algorithms; bf16 rotates these activations in GemmBF16KernelTests.
                        for a in ConvAlgorithm.allCases where shape.applies(a) && a.precision == .fp32 {
                            let packed = shape.packedWeights(w, for: a)
                            var y = KernelCheck.guarded(want.count)
                            var ws = KernelCheck.guarded(max(shape.workspace(a) * 2, 1))
                            packed.withUnsafeBufferPointer { p in
                                shape.run(a, x: x.storage.base, packed: p.baseAddress!, bias: bias?.storage.base,
                                          residual: residual?.storage.base, activation: act, y: &y, workspace: &ws)
                            }
                            runs += 1
                            // Winograd F(4,3) rounds ~10x more than direct loops (its own tests use 5e-4).
                            let name = Self.describe(i, a, act, bias: bias != nil, residual: residual != nil, path: path)
                            if let m = KernelCheck.mismatch(y, want.scalars, count: want.count, params: name) {
                                if a != .winogradF4x3 || KernelCheck.difference(y, want.scalars, count: want.count).diff > 5e-4 * max(1, want.maxAbs) {
                                    failures.append(m)
                                }
                            }
                        }
                    }
                }
            }
        }
        #expect(runs > 1000)
        KernelCheck.record(failures)
    }

    /// kiln_conv2d_depthwise over kernels 1-7, strides 1-3, dilations, every pad side, widths
    /// around the 16-lane blocks, both code paths.
    @Test func depthwiseSweepMatchesReference() {
        var failures: [String] = [], cases = 0
        let avx = kiln_gemm_cpu_has_avx512() != 0
        for (path, portable) in (avx ? [("avx512", false)] : []) + [("portable", true)] {
            kiln_gemm_force_portable(portable ? 1 : 0)
            defer { kiln_gemm_force_portable(0) }
            for (h, w) in [(5, 7), (12, 16), (9, 33), (17, 50)] {
                for k in [1, 3, 5, 7] {
                    for s in [1, 2, 3] {
                        for dil in [1, 2] {
                            for pads in [(0, 0, 0, 0), (1, 1, 1, 1), (0, 0, 1, 1), (2, 1, 0, 3), (k / 2, k / 2, k / 2, k / 2)] {
                                var p = ConvKernelTests.params(n: 2, c: 3, h: h, w: w, oc: 3, k: (k, k), stride: (s, s),
                                                               pad: (pads.0, pads.1), dil: (dil, dil), groups: 3,
                                                               padEnd: (pads.2, pads.3), act: Activation.silu.c)
                                guard kiln_conv2d_init(&p) == 0 else { continue }
                                cases += 1
                                let n = Int(p.n * p.c), yCount = n * Int(p.oh * p.ow)
                                let x = KernelCheck.inputs(n * h * w, seed: cases), wt = KernelCheck.inputs(3 * k * k, seed: cases + 1)
                                let bias = KernelCheck.inputs(3, seed: cases + 2), res = KernelCheck.inputs(yCount, seed: cases + 3)
                                var ref = KernelCheck.guarded(yCount), fast = ref
                                kiln_conv2d_ref(&p, x, wt, bias, res, &ref)
                                kiln_conv2d_depthwise(&p, x, wt, bias, res, &fast)
                                let name = ConvKernelTests.describe(p, bias: true, residual: true) + " [\(path)]"
                                if let m = KernelCheck.mismatch(fast, ref, count: yCount, params: name) { failures.append(m) }
                            }
                        }
                    }
                }
            }
        }
        #expect(cases > 300)
        KernelCheck.record(failures)
    }

    /// Asymmetric pads by hand: x = [[1, 2], [3, 4]], a 2x2 all-ones filter, pads top 1,
    /// right 1: windows rows oy-1…oy, columns ox…ox+1.
    @Test func asymmetricPadsHandComputed() throws {
        let x = Tensor(shape: [1, 1, 2, 2], values: [1, 2, 3, 4]), w = Tensor(shape: [1, 1, 2, 2], values: [1, 1, 1, 1])
        let g = Conv2dGeometry(kernel: (2, 2), pads: (1, 0, 0, 1))
        #expect(g.outputSize(h: 2, w: 2) == (2, 2))
        for reference in [true, false] {
            let y = try Kernels.conv2d(x, weight: w, bias: nil, geometry: g, reference: reference)
            #expect(y.shape == [1, 1, 2, 2])
            #expect(y.scalars == [3, 2, 10, 6])
            let r6 = try Kernels.conv2d(x, weight: w, bias: Tensor(shape: [1], values: [-5]), geometry: g,
                                        activation: .clip(min: 0, max: 4), reference: reference)
            #expect(r6.scalars == [0, 0, 4, 1])
        }
    }

    @Test func negativePadsAreRejected() {
        var p = ConvKernelTests.params(n: 1, c: 1, h: 4, w: 4, oc: 1, k: (3, 3), pad: (1, 1), padEnd: (-1, 0))
        #expect(kiln_conv2d_init(&p) == -1)
        #expect(throws: ShapeError.self) {
            try Kernels.conv2d(.zeros([1, 1, 4, 4]), weight: .zeros([1, 1, 3, 3]), bias: nil,
                               geometry: Conv2dGeometry(kernel: (3, 3), pads: (0, 0, 0, -1)))
        }
    }
}
