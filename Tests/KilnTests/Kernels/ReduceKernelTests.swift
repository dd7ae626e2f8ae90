import CKilnKernels
import Foundation
import Testing
@testable import Kiln

/// `kiln_reduce` (every kind but mean, which OpsKernelTests covers) against `kiln_reduce_ref`
/// over swept (outer, len, inner) views, axes sets that are and are not one run, keepdims,
/// and NaN/±inf inputs; plus values worked by hand for both. Tolerance: KernelCheck's
/// max |fast − ref| ≤ 1e-4 · max(1, max |ref|) (the fast kernel sums in float, the reference
/// in double); every failure names its parameters.
struct ReduceKernelTests {
    static let kinds: [Reduction] = [.max, .min, .prod, .l1, .l2, .sumSquare, .logSum, .logSumExp]

    /// Inputs a kind is defined on everywhere: positive for log-sum, near 1 for products
    /// (so long products neither vanish nor overflow).
    static func input(_ kind: Reduction, _ shape: [Int], seed: UInt64) -> Tensor {
        let x = Tensor.randn(shape, seed: seed)
        switch kind {
        case .logSum: return Tensor(shape: shape, values: x.scalars.map { abs($0) + 0.1 })
        case .prod: return Tensor(shape: shape, values: x.scalars.map { 1 + 0.05 * $0 })
        default: return x
        }
    }

    @Test func everyKindMatchesReferenceOverSweptAxes() {
        var failures: [String] = []
        var cases = 0
        let shapes = [[1], [7], [2, 3], [3, 1, 5], [2, 3, 7, 7], [1, 300, 2], [2, 5, 1, 257], [4, 1280, 7]]
        for kind in Self.kinds {
            for shape in shapes {
                let x = Self.input(kind, shape, seed: UInt64(shape.reduce(7, +)))
                // Every non-empty axes set: runs (one kiln_reduce call) and gapped ones (a transpose first).
                for mask in 1..<(1 << shape.count) {
                    let axes = (0..<shape.count).filter { mask & (1 << $0) != 0 }
                    for keep in [true, false] {
                        cases += 1
                        let f = Kernels.reduce(kind, x, axes: axes, keepDims: keep)
                        let r = Kernels.reduce(kind, x, axes: axes.map { $0 - shape.count }, keepDims: keep, reference: true)
                        let want = keep ? shape.enumerated().map { axes.contains($0.offset) ? 1 : $0.element } : shape.enumerated().filter { !axes.contains($0.offset) }.map(\.element)
                        let params = "\(kind) x=\(shape) axes=\(axes) keepdims=\(keep)"
                        if f.shape != want || r.shape != want { failures.append("\(params): shapes \(f.shape), \(r.shape), want \(want)") }
                        if let m = KernelCheck.mismatch(f.scalars, r.scalars, count: r.count, params: params) { failures.append(m) }
                    }
                }
            }
        }
        #expect(cases > 600)
        KernelCheck.record(failures)
    }

    /// Max and min propagate NaN wherever it sits in the reduced run; log-sum-exp keeps ±inf
    /// and an all −inf column (no max shift to subtract) exact.
    @Test func nanAndInfinities() {
        for reference in [false, true] {
            for at in 0..<4 {
                var v: [Float] = [1, 5, -2, 3]
                v[at] = .nan
                let x = Tensor(shape: [1, 4, 1], values: v)
                #expect(Kernels.reduce(.max, x, axes: [1], keepDims: false, reference: reference).scalars[0].isNaN, "max, NaN at \(at), reference \(reference)")
                #expect(Kernels.reduce(.min, x, axes: [1], keepDims: false, reference: reference).scalars[0].isNaN, "min, NaN at \(at), reference \(reference)")
            }
            let inf = Float.infinity
            let x = Tensor(shape: [3, 2], values: [-inf, -inf, 1, inf, 0, -inf])
            let y = Kernels.reduce(.logSumExp, x, axes: [1], keepDims: false, reference: reference).scalars
            #expect(y[0] == -inf && y[1] == inf && y[2] == 0, "log-sum-exp \(y), reference \(reference)")
        }
    }

    @Test(arguments: [false, true]) func valuesByHand(reference: Bool) {
        let x = Tensor(shape: [2, 3], values: [1, -2, 3, 4, 0.5, -6])
        func r(_ k: Reduction, _ axes: [Int]) -> [Float] { Kernels.reduce(k, x, axes: axes, keepDims: false, reference: reference).scalars }
        OpsReferenceTests.close(r(.max, [1]), [3, 4], "max")
        OpsReferenceTests.close(r(.min, [0]), [1, -2, -6], "min")
        OpsReferenceTests.close(r(.prod, [0, 1]), [72], "prod")
        OpsReferenceTests.close(r(.l1, [1]), [6, 10.5], "l1")
        OpsReferenceTests.close(r(.l2, [1]), [Float(14).squareRoot(), Float(52.25).squareRoot()], "l2")
        OpsReferenceTests.close(r(.sumSquare, [0]), [17, 4.25, 45], "sum square")
        OpsReferenceTests.close(r(.logSum, [0]), [log(5), log(-1.5), log(-3)], "log sum (NaN for a negative sum)")
        OpsReferenceTests.close(r(.logSumExp, [1]), [Float(log(exp(1.0) + exp(-2.0) + exp(3.0))), Float(log(exp(4.0) + exp(0.5) + exp(-6.0)))], "log-sum-exp")
        // Large values: the max shift keeps log-sum-exp finite where exp overflows float.
        OpsReferenceTests.close(Kernels.reduce(.logSumExp, Tensor(shape: [2], values: [1000, 1000]), axes: [0], keepDims: true, reference: reference).scalars,
                                [1000 + Float(log(2.0))], "log-sum-exp of large values")
    }
}
