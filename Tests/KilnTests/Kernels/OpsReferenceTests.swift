import Foundation
import Testing
@testable import Kiln

/// The kiln_ops.h kernels (reference and fast) against values computed by hand or taken
/// from the ONNX operator spec, so the references themselves are checked, not only the
/// twins' agreement. Tolerance 1e-6 relative where a value is not exact.
@Suite struct OpsReferenceTests {
    static func close(_ got: [Float], _ want: [Float], _ what: String, sourceLocation: SourceLocation = #_sourceLocation) {
        let ok = got.count == want.count && zip(got, want).allSatisfy { g, w in
            (g.isNaN && w.isNaN) || g == w || abs(g - w) <= 1e-6 * max(abs(w), 1e-3)
        }
        #expect(ok, "\(what): got \(got), want \(want)", sourceLocation: sourceLocation)
    }

    @Test(arguments: [false, true]) func activationsAtKnownPoints(reference: Bool) {
        let x = Tensor(shape: [7], values: [-3, -1, 0, 1, 3, 7, .nan])
        let cases: [(Activation, [Float])] = [
            (.relu, [0, 0, 0, 1, 3, 7, .nan]),
            (.clip(min: 0, max: 6), [0, 0, 0, 1, 3, 6, .nan]),
            (.leakyRelu(alpha: 0.1), [-0.3, -0.1, 0, 1, 3, 7, .nan]),
            // ONNX HardSwish: x · max(0, min(1, x/6 + 1/2)): 0 at -3, x from 3 on.
            (.hardSwish, [0, -1.0 / 3, 0, 2.0 / 3, 3, 7, .nan]),
            (.hardSigmoid(alpha: 0.2, beta: 0.5), [0, 0.3, 0.5, 0.7, 1, 1, .nan]),
            (.sigmoid, [0.047425873, 0.26894142, 0.5, 0.7310586, 0.95257413, 0.99908894, .nan]),
            (.silu, [-0.14227761, -0.26894142, 0, 0.7310586, 2.8577223, 6.9936223, .nan]),
            (.tanh, [-0.9950548, -0.7615942, 0, 0.7615942, 0.9950548, 0.99999834, .nan]),
            (.none, [-3, -1, 0, 1, 3, 7, .nan]),
        ]
        for (act, want) in cases { Self.close(Kernels.activation(x, act, reference: reference).scalars, want, "\(act)") }
    }

    @Test(arguments: [false, true]) func binaryBroadcastByHand(reference: Bool) throws {
        let col = Tensor(shape: [2, 1], values: [1, 2]), row = Tensor(shape: [3], values: [10, 20, 30])
        #expect(try Kernels.binary(.add, col, row, reference: reference).scalars == [11, 21, 31, 12, 22, 32])
        #expect(try Kernels.binary(.sub, col, row, reference: reference).scalars == [-9, -19, -29, -8, -18, -28])
        #expect(try Kernels.binary(.div, row, Tensor(shape: [], values: [4]), reference: reference).scalars == [2.5, 5, 7.5])
        // Squeeze-excitation: (1, 2, 1, 1) scales each channel of (1, 2, 2, 2).
        let x = Tensor(shape: [1, 2, 2, 2], values: [1, 2, 3, 4, 5, 6, 7, 8]), s = Tensor(shape: [1, 2, 1, 1], values: [2, -1])
        let y = try Kernels.binary(.mul, s, x, reference: reference)
        #expect(y.shape == [1, 2, 2, 2])
        #expect(y.scalars == [2, 4, 6, 8, -5, -6, -7, -8])
    }

    /// x = 1…9 (3×3), 3×3 window, stride 1, pads 1: the corner window holds 1, 2, 4, 5.
    @Test(arguments: [false, true]) func avgPoolCountIncludePad(reference: Bool) throws {
        let x = Tensor(shape: [1, 1, 3, 3], values: (1...9).map(Float.init))
        let inc = try Kernels.avgPool2d(x, kernel: (3, 3), stride: (1, 1), pads: (1, 1, 1, 1), ceilMode: false, countIncludePad: true, reference: reference)
        Self.close(inc.scalars, [12.0 / 9, 21.0 / 9, 16.0 / 9, 27.0 / 9, 5, 33.0 / 9, 24.0 / 9, 39.0 / 9, 28.0 / 9], "include pad")
        let exc = try Kernels.avgPool2d(x, kernel: (3, 3), stride: (1, 1), pads: (1, 1, 1, 1), ceilMode: false, countIncludePad: false, reference: reference)
        Self.close(exc.scalars, [3, 3.5, 4, 4.5, 5, 5.5, 6, 6.5, 7], "exclude pad")
        // Asymmetric: pads bottom/right 1 only, 2×2 stride 2 on ones: the last window has 1
        // real cell of 4 (include: 1/4; exclude: 1).
        let ones = Tensor.ones([1, 1, 3, 3])
        let a = try Kernels.avgPool2d(ones, kernel: (2, 2), stride: (2, 2), pads: (0, 0, 1, 1), ceilMode: false, countIncludePad: true, reference: reference)
        Self.close(a.scalars, [1, 0.5, 0.5, 0.25], "asymmetric include pad")
        // ceil_mode on 4×4 = 0…15, 3×3 stride 2: the extra window (rows/cols 2…4) is cut to
        // the input and the cells ceil_mode adds are never counted: (10+11+14+15)/4.
        let y = Tensor(shape: [1, 1, 4, 4], values: (0..<16).map(Float.init))
        let c = try Kernels.avgPool2d(y, kernel: (3, 3), stride: (2, 2), pads: (0, 0, 0, 0), ceilMode: true, countIncludePad: true, reference: reference)
        #expect(c.shape == [1, 1, 2, 2])
        Self.close(c.scalars, [5, 6.5, 11, 12.5], "ceil mode")
    }

    @Test(arguments: [false, true]) func maxPoolAsymmetricPadsAndNaN(reference: Bool) throws {
        let x = Tensor(shape: [1, 1, 3, 3], values: [-1, -2, -3, -4, -5, -6, -7, -8, .nan])
        // 2×2 stride 1, pads top/left 1: padding is -inf, so the corner is x[0][0].
        let y = try Kernels.maxPool2d(x, kernel: (2, 2), stride: (1, 1), pads: (1, 1, 0, 0), dilation: (1, 1), ceilMode: false, reference: reference)
        Self.close(y.scalars, [-1, -1, -2, -1, -1, -2, -4, -4, .nan], "max pool")
        #expect(throws: ShapeError.self) {
            try Kernels.maxPool2d(x, kernel: (2, 2), stride: (1, 1), pads: (0, -1, 0, 0), dilation: (1, 1), ceilMode: false)
        }
    }

    /// LRN (ONNX): size 2 takes channels [c, c+1]; alpha 2, beta 1, bias 1 on [1, 2, 3]:
    /// 1/(1+5), 2/(1+13), 3/(1+9).
    @Test(arguments: [false, true]) func lrnBySpec(reference: Bool) {
        let x = Tensor(shape: [1, 3, 1, 1], values: [1, 2, 3])
        Self.close(Kernels.lrn(x, size: 2, alpha: 2, beta: 1, bias: 1, reference: reference).scalars, [1.0 / 6, 1.0 / 7, 0.3], "lrn size 2")
        // Size 3 (window [c-1, c+1]), beta 0.5: sqrt of 1 + (2/3)·sums 5, 14, 13.
        let y = Kernels.lrn(x, size: 3, alpha: 2, beta: 0.5, bias: 1, reference: reference)
        let xs: [Double] = [1, 2, 3], sums: [Double] = [5, 14, 13]
        let want: [Float] = (0..<3).map { i in
            let d: Double = 1 + 2.0 / 3 * sums[i]
            return Float(xs[i] / d.squareRoot())
        }
        Self.close(y.scalars, want, "lrn size 3")
    }

    @Test(arguments: [false, true]) func softmaxReduceAndGlobalPools(reference: Bool) {
        let x = Tensor(shape: [1, 3], values: [1, 2, 3])
        Self.close(Kernels.softmax(x, axis: 1, reference: reference).scalars, [0.09003057, 0.24472847, 0.66524096], "softmax")
        Self.close(Kernels.softmax(Tensor(shape: [2, 1], values: [5, -5]), axis: 0, reference: reference).scalars,
                   [0.9999546, 4.539787e-05], "softmax axis 0")
        let t = Tensor(shape: [1, 2, 2, 2], values: [1, 2, 3, 4, -1, -2, -3, .nan])
        Self.close(Kernels.globalAvgPool(t, reference: reference).scalars, [2.5, .nan], "global avg")
        Self.close(Kernels.globalMaxPool(t, reference: reference).scalars, [4, .nan], "global max")
        let r = Kernels.reduceMean(Tensor(shape: [2, 3], values: [1, 2, 3, 4, 5, 6]), axes: [0], keepDims: false, reference: reference)
        #expect(r.shape == [3])
        Self.close(r.scalars, [2.5, 3.5, 4.5], "reduce mean axis 0")
        #expect(Kernels.reduceMean(Tensor(shape: [2, 3], values: [1, 2, 3, 4, 5, 6]), axes: [1], keepDims: true, reference: reference).shape == [2, 1])
    }

    @Test(arguments: [false, true]) func layoutOpsByHand(reference: Bool) throws {
        let v = Tensor(shape: [3], values: [1, 2, 3])
        #expect(Kernels.pad(v, pads: [2, 2], mode: .reflect, value: 0, reference: reference).scalars == [3, 2, 1, 2, 3, 2, 1])
        #expect(Kernels.pad(v, pads: [2, 2], mode: .edge, value: 0, reference: reference).scalars == [1, 1, 1, 2, 3, 3, 3])
        #expect(Kernels.pad(v, pads: [-1, 1], mode: .constant, value: 9, reference: reference).scalars == [2, 3, 9])
        let r = Tensor(shape: [10], values: (0..<10).map(Float.init))
        #expect(Kernels.slice(r, starts: [-3], ends: [100], axes: [0], steps: [1], reference: reference).scalars == [7, 8, 9])
        #expect(Kernels.slice(r, starts: [8], ends: [1], axes: [0], steps: [-2], reference: reference).scalars == [8, 6, 4, 2])
        #expect(Kernels.slice(r, starts: [-1], ends: [Int(Int32.min)], axes: [0], steps: [-1], reference: reference).scalars == (0..<10).reversed().map(Float.init))
        // Channel shuffle, groups 2 of 4 channels (one pixel): (1, 2, 2) -> (1, 2, 2) transposed.
        let c = Tensor(shape: [1, 2, 2, 1, 1], values: [0, 1, 2, 3])
        #expect(Kernels.transpose(c, perm: [0, 2, 1, 3, 4], reference: reference).scalars == [0, 2, 1, 3])
        let cat = try Kernels.concat([Tensor(shape: [1, 2], values: [1, 2]), Tensor(shape: [1, 1], values: [3])], axis: 1, reference: reference)
        #expect(cat.shape == [1, 3] && cat.scalars == [1, 2, 3])
        let m = try Kernels.matmul(Tensor(shape: [2, 2], values: [1, 2, 3, 4]), Tensor(shape: [2], values: [5, 6]), reference: reference)
        #expect(m.shape == [2] && m.scalars == [17, 39])
    }

    /// Expand is a strided copy reading with stride 0 where the input repeats; compared with
    /// NumPy's broadcast written out by hand, -0 and NaN copied bit for bit.
    @Test(arguments: [false, true]) func expandBroadcastsByHand(reference: Bool) {
        let token = Tensor(shape: [1, 1, 3], values: [1, -0.0, .nan])
        let y = Kernels.expand(token, to: [2, 2, 3], reference: reference)
        #expect(y.shape == [2, 2, 3])
        #expect(y.scalars.map(\.bitPattern) == [Float](repeating: 0, count: 4).flatMap { _ in token.scalars }.map(\.bitPattern))
        let column = Tensor(shape: [3, 1], values: [1, 2, 3])
        #expect(Kernels.expand(column, to: [2, 3, 2], reference: reference).scalars == [1, 1, 2, 2, 3, 3, 1, 1, 2, 2, 3, 3])
        #expect(Kernels.expand(column, to: [3, 1], reference: reference).scalars == [1, 2, 3])
    }
}
