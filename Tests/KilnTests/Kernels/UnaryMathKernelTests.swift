import CKilnKernels
import Foundation
import Testing
@testable import Kiln

/// The libm-backed kinds of kiln_activation (UnaryMath, Celu, ThresholdedRelu) against the
/// same functions computed here in Double: their fast path and reference share one scalar
/// formula, so this is what catches a wrong formula or a kind mapped to the wrong function.
/// Tolerance: |kiln − double| ≤ 2e-6 · |double| + 1e-7 (a few float ulp); rounding kinds exact.
struct UnaryMathKernelTests {
    static func expected(_ act: Activation, _ x: Double) -> Double {
        switch act {
        case .math(let f):
            switch f {
            case .sin: return sin(x)
            case .cos: return cos(x)
            case .tan: return tan(x)
            case .asin: return asin(x)
            case .acos: return acos(x)
            case .atan: return atan(x)
            case .sinh: return sinh(x)
            case .cosh: return cosh(x)
            case .asinh: return asinh(x)
            case .acosh: return acosh(x)
            case .atanh: return atanh(x)
            case .floor: return x.rounded(.down)
            case .ceil: return x.rounded(.up)
            case .round: return x.rounded(.toNearestOrEven)
            case .mish: return x * tanh(log1p(exp(x)))
            }
        case .celu(let alpha):
            let a = Double(alpha)
            return max(0, x) + min(0, a * (exp(x / a) - 1))
        case .thresholdedRelu(let alpha): return x > Double(alpha) ? x : 0
        default: return .nan
        }
    }

    @Test(arguments: UnaryMath.allCases.map { Activation.math($0) } + [.celu(alpha: 1), .celu(alpha: 2.5), .celu(alpha: -0.5),
                                                                      .thresholdedRelu(alpha: 1), .thresholdedRelu(alpha: -0.25)])
    func matchesDoublePrecision(_ act: Activation) {
        // Values inside every function's domain, exact halves for rounding, and each edge.
        var xs: [Float] = stride(from: -0.99, through: 0.99, by: 0.0725).map { Float($0) }
        xs += [0, -0.0, 0.5, -0.5, 1.5, 2.5, -2.5, 3.49, 1, -1, 0.25, -0.25, 2.5e-8, 1e-3]
        if case .math(let f) = act, [.asin, .acos, .atanh].contains(f) {
            xs = xs.filter { Swift.abs($0) < 1 }
        } else {
            xs += [3, -3, 7.25, -7.25, 10, -10, 20.5]
        }
        if case .math(.acosh) = act { xs = xs.map { Swift.abs($0) + 1 } }
        var y = [Float](repeating: .nan, count: xs.count)
        kiln_activation(act.c, xs.count, xs, &y)
        var failures: [String] = []
        for (x, got) in zip(xs, y) {
            let want = Self.expected(act, Double(x))
            let rounding: Bool = if case .math(let f) = act { [.floor, .ceil, .round].contains(f) } else { false }
            let ok = rounding ? Double(got) == want : Swift.abs(Double(got) - want) <= 2e-6 * Swift.abs(want) + 1e-7
            if !ok { failures.append("\(act) x=\(x): kiln \(got), double \(want)") }
        }
        // Outside the domain (asin 2, acosh 0.5, atanh 1.5) and NaN: NaN, as numpy and ONNX Runtime.
        if case .math(let f) = act, let outside: Float = [.asin: 2, .acos: -2, .acosh: 0.5, .atanh: 1.5][f] {
            var z: Float = 0
            kiln_activation(act.c, 1, [outside], &z)
            if !z.isNaN { failures.append("\(act) x=\(outside): \(z), not NaN") }
        }
        var n: Float = 0
        kiln_activation(act.c, 1, [.nan], &n)
        if !n.isNaN { failures.append("\(act) x=nan: \(n)") }
        #expect(failures.isEmpty, "\(failures.prefix(10).joined(separator: "\n"))")
    }

    /// Every kind's C name in generated code is the enum constant with its value.
    @Test func generatedCNamesAreTheKernelsKinds() {
        for f in UnaryMath.allCases {
            let act = Activation.math(f)
            #expect(act.cLiteral == "{\(f.cKind.name)}")
            #expect(Activation.cKindNames[act.c.kind] == "KILN_ACT_\(f.rawValue.uppercased())")
        }
        #expect(Activation.celu(alpha: 2).cLiteral == "{KILN_ACT_CELU, 2.0f, 0.0f}")
        #expect(Activation.thresholdedRelu(alpha: 1).cLiteral == "{KILN_ACT_THRESHOLDED_RELU, 1.0f, 0.0f}")
        #expect(Activation.cKindNames.count == Int(KILN_ACT_KIND_COUNT.rawValue))
    }
}
