import Foundation

/// Resize along one axis as an interpolation matrix (out × in) and a bias (the
/// extrapolation value of `tf_crop_and_resize` rows), computed as ONNX's reference does
/// (onnx.reference.ops.op_resize): the source coordinate x_original of each output index,
/// the coefficients of its n nearest inputs (edge-clamped), `exclude_outside`
/// renormalisation. Resize is separable, so an N-D resize is one matrix per axis.
struct ONNXResizeAxis: Equatable {
    var input: Int, output: Int
    /// The axis's scale factor (sizes give output / input).
    var scale: Double
    /// Region of interest (start, end) in normalised coordinates, for tf_crop_and_resize.
    var roi: (Double, Double) = (0, 1)

    static func == (a: Self, b: Self) -> Bool {
        a.input == b.input && a.output == b.output && a.scale == b.scale && a.roi == b.roi
    }

    /// ONNX skips an axis whose scale is 1, size unchanged and region the whole axis.
    var isIdentity: Bool {
        abs(scale - 1) <= 1e-9 && output == input && abs(roi.0) <= 1e-9 && abs(roi.1 - 1) <= 1e-9
    }
}

/// The resize attributes that shape the interpolation weights.
struct ONNXResizeMode: Equatable {
    enum Kind: String { case nearest, linear, cubic }
    var kind: Kind
    var coordinates: String
    var nearestMode = "round_prefer_floor"
    var cubicA = -0.75
    var excludeOutside = false
    var antialias = false
    var extrapolation: Float = 0

    static let coordinateModes = ["half_pixel", "half_pixel_symmetric", "pytorch_half_pixel", "align_corners", "asymmetric", "tf_crop_and_resize"]
    static let nearestModes = ["round_prefer_floor", "round_prefer_ceil", "floor", "ceil"]

    /// x_original of output index i, or nil where tf_crop_and_resize extrapolates.
    func sourceCoordinate(_ i: Int, _ a: ONNXResizeAxis) -> Double? {
        let x = Double(i), n = Double(a.input), width = a.scale * n
        switch coordinates {
        case "align_corners": return width == 1 ? 0 : x * (n - 1) / (width - 1)
        case "asymmetric": return x / a.scale
        case "tf_half_pixel_for_nn": return (x + 0.5) / a.scale
        case "pytorch_half_pixel": return width == 1 ? -0.5 : (x + 0.5) / a.scale - 0.5
        case "half_pixel_symmetric":
            let offset = n / 2 * (1 - Double(a.output) / width)
            return offset + (x + 0.5) / a.scale - 0.5
        case "tf_crop_and_resize":
            let (s, e) = a.roi
            let v = (width == 1 ? (e - s) * (n - 1) / 2 : x * (e - s) * (n - 1) / (width - 1)) + s * (n - 1)
            return v < 0 || v > n - 1 ? nil : v
        default: return (x + 0.5) / a.scale - 0.5
        }
    }

    /// The coefficients of the n nearest inputs for `ratio` in (0, 1].
    func coefficients(_ ratio: Double, scale: Double) -> [Double] {
        switch kind {
        case .nearest:
            if ratio == 1 { return [0, 1] }
            switch nearestMode {
            case "round_prefer_ceil": return ratio < 0.5 ? [1, 0] : [0, 1]
            case "floor": return [1, 0]
            case "ceil": return [0, 1]
            default: return ratio <= 0.5 ? [1, 0] : [0, 1]
            }
        case .linear:
            guard antialias else { return [1 - ratio, ratio] }
            let s = Swift.min(scale, 1), start = Int((-1 / s).rounded(.down)) + 1
            let c = (start..<(start + 2 - 2 * start)).map { Swift.min(1, Swift.max(0, 1 - abs((Double($0) - ratio) * s))) }
            return Self.normalised(c)
        case .cubic:
            let A = cubicA
            guard antialias else {
                let r = ratio, q = 1 - ratio
                return [((A * (r + 1) - 5 * A) * (r + 1) + 8 * A) * (r + 1) - 4 * A,
                        ((A + 2) * r - (A + 3)) * r * r + 1,
                        ((A + 2) * q - (A + 3)) * q * q + 1,
                        ((A * (q + 1) - 5 * A) * (q + 1) + 8 * A) * (q + 1) - 4 * A]
            }
            let s = Swift.min(scale, 1), start = Int((-2 / s).rounded(.down)) + 1
            let c = (start..<(2 - start)).map { i -> Double in
                let x = abs(s * (Double(i) - ratio)), x2 = x * x, x3 = x2 * x
                if x <= 1 { return (A + 2) * x3 - (A + 3) * x2 + 1 }
                return x < 2 ? A * x3 - 5 * A * x2 + 8 * A * x - 4 * A : 0
            }
            return Self.normalised(c)
        }
    }

    private static func normalised(_ c: [Double]) -> [Double] {
        let sum = c.reduce(0, +)
        return sum == 0 ? c : c.map { $0 / sum }
    }

    /// The (output × input) weights, row-major, and the per-output bias (nil when no row
    /// extrapolates).
    func matrix(_ a: ONNXResizeAxis) -> (weights: [Float], bias: [Float]?) {
        var w = [Double](repeating: 0, count: a.output * a.input)
        var bias: [Float]? = nil
        for i in 0..<a.output {
            guard let x = sourceCoordinate(i, a) else {
                if bias == nil { bias = [Float](repeating: 0, count: a.output) }
                bias![i] = extrapolation
                continue
            }
            let base = x.rounded(.down), ratio = x == base ? 1 : x - base
            var c = coefficients(ratio, scale: a.scale)
            let n = c.count
            // The n nearest indices, smaller ones preferred on ties (ratio in (0, 1]).
            let start: Int
            if n % 2 == 0 { start = Int(base) - n / 2 + (x == base ? 0 : 1) } else { start = Int(base) - (n - 1) / 2 + (x - base <= 0.5 ? 0 : 1) }
            if excludeOutside {
                for k in 0..<n where start + k < 0 || start + k >= a.input { c[k] = 0 }
                c = Self.normalised(c)
            }
            for k in 0..<n {
                let j = Swift.min(Swift.max(start + k, 0), a.input - 1)
                w[i * a.input + j] += c[k]
            }
        }
        return (w.map { Float($0) }, bias)
    }
}
