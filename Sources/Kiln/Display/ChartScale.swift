import Foundation

/// The y axis of a ``Chart``: a range from zero (or the lowest negative value) to a round
/// number above the highest value, split into 3–6 steps of 1, 2 or 5 × 10ⁿ, and the one way
/// numbers are printed in charts (C locale, so every machine prints the same).
struct ChartScale: Equatable {
    var low: Double
    var high: Double
    var step: Double

    /// The scale for `values` (finite ones; none or all zero gives 0…1).
    init(values: [Double]) {
        let finite = values.filter(\.isFinite)
        let lo = min(0, finite.min() ?? 0)
        let hi = finite.contains { $0 != 0 } ? max(0, finite.max() ?? 0) : 1
        let span = hi - lo
        let rough = span / 6
        let magnitude = pow(10, floor(log10(rough)))
        let step = [1.0, 2, 5, 10].map { $0 * magnitude }.first { $0 >= rough } ?? 10 * magnitude
        self.step = step
        low = (lo / step).rounded(.down) * step
        high = max((hi / step).rounded(.up) * step, low + step)
    }

    /// The tick values, low to high.
    var ticks: [Double] {
        let count = Int(((high - low) / step).rounded())
        return (0...count).map { low + Double($0) * step }
    }

    /// The tick labels' decimals: enough for the step (0 for 1, 2, 5, 10…; 1 for 0.5…).
    var decimals: Int { max(0, Int(-floor(log10(step) + 1e-9))) }

    /// `value` with `decimals` decimals, never `-0`.
    static func fixed(_ value: Double, decimals: Int) -> String {
        let text = String(format: "%.\(decimals)f", value)
        return text.hasPrefix("-") && text.dropFirst().allSatisfy({ $0 == "0" || $0 == "." }) ? String(text.dropFirst()) : text
    }

    /// A value's label: three significant digits (`2900`, `12.5`, `0.123`).
    static func label(_ value: Double) -> String {
        let magnitude = value == 0 ? 0 : Int(floor(log10(abs(value))))
        return fixed(value, decimals: max(0, 2 - magnitude))
    }

    /// An SVG coordinate: at most one decimal.
    static func coordinate(_ value: Double) -> String {
        let text = fixed(value, decimals: 1)
        return text.hasSuffix(".0") ? String(text.dropLast(2)) : text
    }
}
