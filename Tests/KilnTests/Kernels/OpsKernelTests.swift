import CKilnKernels
import Foundation
import Testing
@testable import Kiln

/// The kiln_ops.h fast kernels against their reference twins over swept small shapes
/// (odd sizes, broadcasts, asymmetric pads, ceil_mode, count_include_pad, NaN inputs).
/// Tolerance: KernelCheck's max |fast - ref| ≤ 1e-4 · max(1, max |ref|) unless stated;
/// every failure names its parameters. Serialized: it flips the portable-kernel switch.
@Suite(.serialized) struct OpsKernelTests {
    /// Runs `body` once per code path ("avx512" when the CPU has it, then "portable").
    static func eachPath(_ body: (String) -> Void) {
        if kiln_gemm_cpu_has_avx512() != 0 { body("avx512") }
        kiln_gemm_force_portable(1)
        defer { kiln_gemm_force_portable(0) }
        body("portable")
    }

    static let activations: [Activation] = [
        .none, .relu, .clip(min: 0, max: 6), .clip(min: -1, max: 0.5), .leakyRelu(alpha: 0.01), .sigmoid,
        .hardSigmoid(alpha: 0.2, beta: 0.5), .hardSigmoid(alpha: 1.0 / 6, beta: 0.5), .hardSwish, .silu, .tanh,
        .elu(alpha: 1), .elu(alpha: 0.3), .selu(alpha: 1.6732632, gamma: 1.050701), .softplus, .softsign, .exp, .log, .sqrt,
        .neg, .abs, .sign, .reciprocal, .shrink(lambd: 0.5, bias: 0.25), .erf, .gelu(tanh: false), .gelu(tanh: true),
        .celu(alpha: 1), .celu(alpha: -0.5), .thresholdedRelu(alpha: 0.3),
    ] + UnaryMath.allCases.map { .math($0) }

    /// Elementwise relative error ≤ 1e-6 (+1e-30 absolute, for results that underflow): the
    /// vector exp is a polynomial within a few ulp of expf. NaN must meet NaN.
    @Test func activationMatchesReferenceElementwise() {
        var failures: [String] = []
        var xs = KernelCheck.inputs(2000, seed: 3).map { $0 * 8 }
        xs += [0, -0.0, 3, -3, 6, -6, 88, 89, -87, -88, -89, -104, -110, 100, .infinity, -.infinity, .nan, 1e-30, -1e-30]
        Self.eachPath { path in
            for act in Self.activations {
                for count in [0, 1, 15, 16, 17, 63, xs.count] {
                    var fast = KernelCheck.guarded(count), ref = fast
                    let x = Array(xs.suffix(count))
                    kiln_activation(act.c, count, x, &fast)
                    kiln_activation_ref(act.c, count, x, &ref)
                    if !KernelCheck.guardIntact(fast, count: count) { failures.append("\(act) n=\(count) [\(path)]: wrote past the end") }
                    for i in 0..<count {
                        let f = fast[i], r = ref[i]
                        let ok = (f.isNaN && r.isNaN) || f == r || abs(f - r) <= 1e-6 * abs(r) + 1e-30
                        if !ok { failures.append("\(act) x=\(x[i]) [\(path)]: fast \(f) vs ref \(r)"); break }
                    }
                }
                // In place (y aliases x).
                var inPlace = xs
                kiln_activation(act.c, inPlace.count, inPlace, &inPlace)
                var ref = xs
                kiln_activation_ref(act.c, ref.count, xs, &ref)
                if let m = KernelCheck.mismatch(inPlace, ref, count: xs.count, params: "\(act) in place [\(path)]") { failures.append(m) }
            }
        }
        KernelCheck.record(failures)
    }

    /// Every broadcast pattern of two operands over a few output shapes: each operand dim is
    /// kept, set to 1 or dropped (leading), incl. [N,C,1,1]×[N,C,H,W], [C,1,1] and scalars;
    /// results must be bit-identical (the same float operation per element).
    @Test func binaryBroadcastsMatchReference() {
        var failures: [String] = [], cases = 0
        let outs: [[Int]] = [[2, 3, 5, 7], [1, 4, 1, 9], [3, 17], [33], [2, 3, 2, 3, 2, 3]]
        Self.eachPath { path in
            for out in outs {
                let r = out.count
                // Per operand a mask: bit d set = dim d broadcast (size 1); plus dropped leading dims.
                for maskA in 0..<(1 << r) where maskA % 5 == 0 || maskA == (1 << r) - 1 {
                    for maskB in 0..<(1 << r) {
                        for drop in [0, 1] where r > 1 || drop == 0 {
                            let shapeA = out.enumerated().map { maskA >> $0.offset & 1 != 0 ? 1 : $0.element }
                            var shapeB = out.enumerated().map { maskB >> $0.offset & 1 != 0 ? 1 : $0.element }
                            if drop == 1 { shapeB.removeFirst() }
                            for op in BinaryOp.allCases {
                                cases += 1
                                let a = Tensor(shape: shapeA, values: KernelCheck.inputs(shapeA.reduce(1, *), seed: cases))
                                let b = Tensor(shape: shapeB, values: KernelCheck.inputs(shapeB.reduce(1, *), seed: cases + 7))
                                guard let fast = try? Kernels.binary(op, a, b), let ref = try? Kernels.binary(op, a, b, reference: true) else {
                                    failures.append("\(op) \(shapeA) \(shapeB): did not broadcast"); continue
                                }
                                let same = zip(fast.scalars, ref.scalars).allSatisfy { $0 == $1 || ($0.isNaN && $1.isNaN) }
                                if fast.shape != ref.shape || !same { failures.append("\(op) a\(shapeA) b\(shapeB) [\(path)]: differs from reference") }
                            }
                        }
                    }
                }
            }
            // Large enough to be threaded: same shape, scalar, and squeeze-excitation.
            for (sa, sb) in [([2, 64, 33, 35], [2, 64, 33, 35]), ([2, 64, 33, 35], []), ([2, 64, 33, 35], [2, 64, 1, 1]), ([64, 1, 1], [2, 64, 33, 35])] {
                for op in BinaryOp.allCases {
                    let a = Tensor.randn(sa, seed: 1), b = Tensor.randn(sb, seed: 2)
                    let fast = try! Kernels.binary(op, a, b), ref = try! Kernels.binary(op, a, b, reference: true)
                    // NaN must meet NaN (pow of a negative base and a fractional exponent).
                    let same = zip(fast.scalars, ref.scalars).allSatisfy { $0 == $1 || ($0.isNaN && $1.isNaN) }
                    if fast.shape != ref.shape || !same { failures.append("\(op) a\(sa) b\(sb) [\(path)]: differs from reference") }
                }
            }
        }
        #expect(cases > 1000)
        #expect(throws: ShapeError.self) { try Kernels.binary(.add, .zeros([2, 3]), .zeros([4])) }
        KernelCheck.record(failures)
    }

    /// Avg and max pooling: kernels 1-3, strides 1-3, each pad 0-2 independently, dilation
    /// 1-2 (max), ceil_mode, count_include_pad, odd sizes; max pool inputs include NaN.
    @Test func poolsMatchReference() {
        var failures: [String] = [], cases = 0
        Self.eachPath { path in
            for (h, w) in [(5, 7), (8, 8), (11, 6)] {
                for k in [1, 2, 3] {
                    for s in [1, 2, 3] {
                        for pads in [(0, 0, 0, 0), (1, 1, 1, 1), (0, 0, 1, 1), (1, 0, 0, 2), (2, 2, 2, 2), (0, 2, 1, 0)] {
                            for dil in [1, 2] {
                                for ceil in [false, true] {
                                    var x = Tensor.randn([2, 3, h, w], seed: UInt64(cases))
                                    if cases % 7 == 0 { x.withUnsafeMutableBufferPointer { $0[cases % $0.count] = .nan } }
                                    let name = "k=\(k) s=\(s) pads(t,l,b,r)=\(pads) dil=\(dil) ceil=\(ceil) x=[2,3,\(h),\(w)] [\(path)]"
                                    guard let mf = try? Kernels.maxPool2d(x, kernel: (k, k), stride: (s, s), pads: pads, dilation: (dil, dil), ceilMode: ceil),
                                          let mr = try? Kernels.maxPool2d(x, kernel: (k, k), stride: (s, s), pads: pads, dilation: (dil, dil), ceilMode: ceil, reference: true)
                                    else { continue }
                                    cases += 1
                                    if mf.shape != mr.shape { failures.append("max " + name + ": shape \(mf.shape) vs \(mr.shape)") }
                                    else if let m = KernelCheck.mismatch(mf.scalars, mr.scalars, count: mr.count, params: "max " + name) { failures.append(m) }
                                    guard dil == 1 else { continue }
                                    for include in [false, true] {
                                        let af = try! Kernels.avgPool2d(x, kernel: (k, k), stride: (s, s), pads: pads, ceilMode: ceil, countIncludePad: include)
                                        let ar = try! Kernels.avgPool2d(x, kernel: (k, k), stride: (s, s), pads: pads, ceilMode: ceil, countIncludePad: include, reference: true)
                                        if let m = KernelCheck.mismatch(af.scalars, ar.scalars, count: ar.count, params: "avg include=\(include) " + name) { failures.append(m) }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        #expect(cases > 500)
        KernelCheck.record(failures)
    }

    /// Global pools and reduce mean over swept (NC, HW), incl. a NaN row for max.
    @Test func globalPoolsAndReduceMeanMatchReference() {
        var failures: [String] = []
        Self.eachPath { path in
            for shape in [[1, 1, 1, 1], [2, 3, 7, 7], [1, 5, 1, 17], [2, 64, 13, 11], [1, 1280, 7, 7], [3, 2, 65, 1]] {
                var x = Tensor.randn(shape, seed: UInt64(shape.reduce(0, +)))
                let name = "x=\(shape) [\(path)]"
                for (f, r, what) in [(Kernels.globalAvgPool(x), Kernels.globalAvgPool(x, reference: true), "global avg"),
                                     (Kernels.reduceMean(x, axes: [2, 3], keepDims: true), Kernels.reduceMean(x, axes: [-1, -2], keepDims: true, reference: true), "reduce mean (2,3)"),
                                     (Kernels.reduceMean(x, axes: [1], keepDims: false), Kernels.reduceMean(x, axes: [1], keepDims: false, reference: true), "reduce mean (1)")] {
                    if let m = KernelCheck.mismatch(f.scalars, r.scalars, count: r.count, params: "\(what) \(name)") { failures.append(m) }
                }
                x.withUnsafeMutableBufferPointer { $0[$0.count - 1] = .nan }
                let mf = Kernels.globalMaxPool(x), mr = Kernels.globalMaxPool(x, reference: true)
                if let m = KernelCheck.mismatch(mf.scalars, mr.scalars, count: mr.count, params: "global max " + name) { failures.append(m) }
                if !(mf.scalars.last!.isNaN) { failures.append("global max \(name): NaN did not propagate") }
            }
        }
        KernelCheck.record(failures)
    }

    /// Transpose (every permutation of rank 3 and channel shuffles), slices with negative
    /// steps, concat and pad: fast copies equal the reference exactly.
    @Test func copiesMatchReference() {
        var failures: [String] = []
        let x = Tensor.randn([2, 3, 4, 5], seed: 4), big = Tensor.randn([2, 4, 29, 28, 7], seed: 5)
        func perms(_ n: Int) -> [[Int]] {
            n == 1 ? [[0]] : perms(n - 1).flatMap { p in (0...p.count).map { i in var q = p; q.insert(n - 1, at: i); return q } }
        }
        for perm in perms(4) + [[0, 2, 1, 3, 4]] {
            let t = perm.count == 5 ? big : x
            if Kernels.transpose(t, perm: perm).scalars != Kernels.transpose(t, perm: perm, reference: true).scalars {
                failures.append("transpose \(t.shape) perm \(perm): differs from reference")
            }
        }
        for (starts, ends, axes, steps) in [([1], [3], [1], [1]), ([-1], [-100], [3], [-1]), ([0, 4], [2, 0], [0, 3], [1, -2]),
                                             ([1, 1], [100, 4], [2, 3], [2, 3]), ([5], [1], [3], [1])] {
            let f = Kernels.slice(x, starts: starts, ends: ends, axes: axes, steps: steps)
            let r = Kernels.slice(x, starts: starts, ends: ends, axes: axes, steps: steps, reference: true)
            if f.shape != r.shape || f.scalars != r.scalars { failures.append("slice \(starts) \(ends) \(axes) \(steps): differs from reference") }
        }
        for axis in [0, 1, -1] {
            let parts = [x, Tensor.randn(x.shape, seed: 6)]
            if try! Kernels.concat(parts, axis: axis).scalars != (try! Kernels.concat(parts, axis: axis, reference: true)).scalars {
                failures.append("concat axis \(axis): differs from reference")
            }
        }
        let wide = Tensor.randn([2, 16, 67, 129], seed: 7), line = Tensor.randn([9], seed: 8)
        for mode in [PadMode.constant, .reflect, .edge] {
            for (t, pads) in [(x, [0, 0, 1, 2, 0, 0, 2, 1]), (x, [0, 1, 0, 0, 0, 0, 1, 0]), (x, [0, 0, -1, 1, 0, 0, 1, -2]),
                              (x, [1, 0, 0, 3, 0, 0, 0, -4]), (wide, [0, 0, 1, 0, 0, 0, 0, 1]), (wide, [0, 1, -3, 5, 0, 2, 2, -6]),
                              (line, [3]), (line, [-2, 4].map { $0 }), (line, [4, -8])] {
                let p = t.rank == 1 && pads.count == 1 ? [pads[0], pads[0]] : pads
                let f = Kernels.pad(t, pads: p, mode: mode, value: 7), r = Kernels.pad(t, pads: p, mode: mode, value: 7, reference: true)
                if f.shape != r.shape || f.scalars != r.scalars { failures.append("pad \(mode) \(t.shape) \(p): differs from reference") }
            }
        }
        KernelCheck.record(failures)
    }

    /// Softmax, LRN and matmul (batched, broadcast, 1-D operands) against their references.
    @Test func softmaxLRNAndMatmulMatchReference() throws {
        var failures: [String] = []
        let x = Tensor.randn([2, 7, 3, 5], seed: 8)
        for axis in [0, 1, -1] {
            let f = Kernels.softmax(x, axis: axis), r = Kernels.softmax(x, axis: axis, reference: true)
            if let m = KernelCheck.mismatch(f.scalars, r.scalars, count: r.count, params: "softmax axis \(axis)") { failures.append(m) }
            let lf = Kernels.softmax(x, axis: axis, log: true), lr = Kernels.softmax(x, axis: axis, log: true, reference: true)
            if let m = KernelCheck.mismatch(lf.scalars, lr.scalars, count: lr.count, params: "log_softmax axis \(axis)") { failures.append(m) }
        }
        // Probabilities that underflow (e^-300) still have a finite log: never log(softmax).
        let peaked = Kernels.softmax(Tensor(shape: [1, 3], values: [0, -200, 100]), axis: 1, log: true).scalars
        if peaked != [-100, -300, 0] { failures.append("log_softmax of [0, -200, 100]: \(peaked), expected [-100, -300, 0]") }
        for size in [1, 2, 3, 5] {
            let f = Kernels.lrn(x, size: size, alpha: 1e-4, beta: 0.75, bias: 2), r = Kernels.lrn(x, size: size, alpha: 1e-4, beta: 0.75, bias: 2, reference: true)
            if let m = KernelCheck.mismatch(f.scalars, r.scalars, count: r.count, params: "lrn size \(size)") { failures.append(m) }
        }
        for (sa, sb) in [([3, 4], [4, 5]), ([2, 3, 4], [4, 5]), ([4], [2, 4, 3]), ([2, 1, 3, 4], [5, 4, 2]), ([7], [7])] {
            let a = Tensor.randn(sa, seed: 1), b = Tensor.randn(sb, seed: 2)
            let f = try Kernels.matmul(a, b), r = try Kernels.matmul(a, b, reference: true)
            if f.shape != r.shape { failures.append("matmul \(sa)x\(sb): shape \(f.shape) vs \(r.shape)") }
            else if let m = KernelCheck.mismatch(f.scalars, r.scalars, count: r.count, params: "matmul \(sa)x\(sb)") { failures.append(m) }
        }
        #expect(throws: ShapeError.self) { try Kernels.matmul(.zeros([2, 3]), .zeros([4, 2])) }
        KernelCheck.record(failures)
    }
}
