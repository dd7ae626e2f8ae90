import CKilnKernels
import Foundation
import Testing
@testable import Kiln

/// kiln_conv2d_depthwise's AVX-512 paths that the small-shape sweep in ConvEpilogueTests
/// reaches only partly, against kiln_conv2d_ref (tolerance: KernelCheck's 1e-4 · max(1,
/// max |ref|)): planes at most 8 wide, which run two per vector (odd plane counts leave one
/// plane to the single-plane kernel; hundreds of planes split across threads), and the
/// MobileNetV2 / EfficientNet-B0 geometries (7-row passes, rows read from the zero row at the
/// top and bottom, the stride-2 even/odd split across 16-column blocks).
@Suite struct DepthwiseKernelTests {
    /// One depthwise layer: fast kernel vs reference, with bias, without and with a residual
    /// and an activation; nil when the geometry has no output (kiln_conv2d_init refuses it).
    static func check(n: Int, c: Int, h: Int, w: Int, k: Int, s: Int, pads: (Int, Int, Int, Int), act: Activation,
                      seed: Int) -> String?? {
        var p = ConvKernelTests.params(n: n, c: c, h: h, w: w, oc: c, k: (k, k), stride: (s, s), pad: (pads.0, pads.1),
                                       groups: c, padEnd: (pads.2, pads.3), act: act.c)
        guard kiln_conv2d_init(&p) == 0 else { return nil }
        let planes = n * c, yCount = planes * Int(p.oh * p.ow)
        let x = KernelCheck.inputs(planes * h * w, seed: seed), wt = KernelCheck.inputs(c * k * k, seed: seed + 1)
        let bias = KernelCheck.inputs(c, seed: seed + 2), res = KernelCheck.inputs(yCount, seed: seed + 3)
        var failure: String?
        for withResidual in [false, true] {
            var ref = KernelCheck.guarded(yCount), fast = ref
            let r: [Float]? = withResidual ? res : nil
            kiln_conv2d_ref(&p, x, wt, bias, r, &ref)
            kiln_conv2d_depthwise(&p, x, wt, bias, r, &fast)
            let name = ConvKernelTests.describe(p, bias: true, residual: withResidual) + " \(act)"
            if let m = KernelCheck.mismatch(fast, ref, count: yCount, params: name) { failure = m }
            if !KernelCheck.guardIntact(fast, count: yCount) { failure = "wrote past the output: \(name)" }
        }
        return .some(failure)
    }

    /// Planes 1-8 wide in pairs: odd and even plane counts, one image and two, 3x3 and 5x5,
    /// strides 1 and 2, "same" and asymmetric pads.
    @Test func narrowPlanesInPairsMatchReference() {
        var failures: [String] = [], cases = 0
        for (h, w) in [(7, 7), (4, 5), (9, 8), (14, 14), (3, 1), (15, 16)] {
            for k in [3, 5] {
                for s in [1, 2] {
                    for pads in [(k / 2, k / 2, k / 2, k / 2), (0, 0, 1, 1), (1, 2, 0, 0)] {
                        for (n, c) in [(1, 7), (2, 3), (1, 2), (1, 1)] {
                            let act: Activation = cases % 2 == 0 ? .clip(min: 0, max: 6) : .silu
                            guard let ran = Self.check(n: n, c: c, h: h, w: w, k: k, s: s, pads: pads, act: act,
                                                       seed: cases) else { continue }
                            cases += 1
                            if let m = ran { failures.append(m) }
                        }
                    }
                }
            }
        }
        #expect(cases > 200)
        KernelCheck.record(failures)
    }

    /// Layer shapes of MobileNetV2 and EfficientNet-B0 (channel counts cut to keep the
    /// reference fast, except 7x7 layers wide enough that their planes split across threads).
    @Test func mobileNetGeometriesMatchReference() {
        let layers: [(c: Int, hw: Int, k: Int, s: Int)] = [
            (5, 112, 3, 1), (3, 112, 3, 2), (4, 56, 3, 1), (3, 56, 3, 2), (6, 28, 3, 1), (5, 28, 3, 2),
            (9, 14, 3, 1), (7, 14, 3, 2), (301, 7, 3, 1), (3, 56, 5, 2), (4, 28, 5, 1), (5, 14, 5, 1),
            (7, 14, 5, 2), (299, 7, 5, 1),
        ]
        var failures: [String] = []
        for (i, l) in layers.enumerated() {
            let act: Activation = i % 2 == 0 ? .clip(min: 0, max: 6) : .silu
            let ran = Self.check(n: 1, c: l.c, h: l.hw, w: l.hw, k: l.k, s: l.s,
                                 pads: (l.k / 2, l.k / 2, l.k / 2, l.k / 2), act: act, seed: 100 + i)
            #expect(ran != nil, "every layer has an output")
            if let m = ran ?? nil { failures.append(m) }
        }
        KernelCheck.record(failures)
    }

    /// Planes several 16-column blocks wide whose height is no multiple of the 7-row pass, so
    /// a pass walks every column block (the last one partial) and the last pass runs past the
    /// bottom edge: 3x3 and 5x5, strides 1 and 2, "same", asymmetric and no pads, two images.
    @Test func widePlanesWithPartialPassesMatchReference() {
        var failures: [String] = [], cases = 0
        for (h, w) in [(23, 37), (50, 33), (9, 64), (16, 49)] {
            for k in [3, 5] {
                for s in [1, 2] {
                    for pads in [(k / 2, k / 2, k / 2, k / 2), (0, 1, 2, 0), (0, 0, 0, 0)] {
                        let act: Activation = cases % 2 == 0 ? .clip(min: 0, max: 6) : .silu
                        guard let ran = Self.check(n: 2, c: 3, h: h, w: w, k: k, s: s, pads: pads, act: act,
                                                   seed: 300 + cases) else { continue }
                        cases += 1
                        if let m = ran { failures.append(m) }
                    }
                }
            }
        }
        #expect(cases == 48)
        KernelCheck.record(failures)
    }

    /// Planes claimed by kiln_parallel_for_balanced on 1-4 threads: each thread its share of
    /// the planes, a quarter of a chunk per claim (pairs of narrow planes kept together), the
    /// last claims taken by whichever thread is free.
    @Test func planesSplitOnAnyThreadCount() {
        defer { kiln_set_thread_num_threads(0) }
        var failures: [String] = []
        for threads in 1...4 {
            kiln_set_thread_num_threads(Int32(threads))
            for (i, l) in [(c: 37, hw: 28, k: 3, s: 2), (c: 301, hw: 7, k: 3, s: 1), (c: 129, hw: 14, k: 5, s: 1)].enumerated() {
                let ran = Self.check(n: 1, c: l.c, h: l.hw, w: l.hw, k: l.k, s: l.s,
                                     pads: (l.k / 2, l.k / 2, l.k / 2, l.k / 2), act: .clip(min: 0, max: 6), seed: 900 + i)
                if let m = ran ?? nil { failures.append("\(threads) threads: \(m)") }
            }
        }
        KernelCheck.record(failures)
    }
}
