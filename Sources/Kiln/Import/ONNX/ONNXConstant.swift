/// A tensor known at import time: an initializer, a `Constant`, or the result of folding
/// (shape arithmetic, constant subgraphs). Floating-point types are held as Float, integer
/// and boolean types as Int64.
struct ONNXConstant: Sendable {
    var shape: [Int]
    var floats: [Float]?
    var ints: [Int64]?

    init(shape: [Int], floats: [Float]) { self.shape = shape; self.floats = floats }
    init(shape: [Int], ints: [Int64]) { self.shape = shape; self.ints = ints }

    var count: Int { floats?.count ?? ints?.count ?? 0 }
    var isInteger: Bool { ints != nil }

    /// The values as Float (integers converted).
    var floatValues: [Float] { floats ?? ints!.map { Float($0) } }
    /// The values as Int (floats truncated, as Cast to INT64 does; beyond Int's range they
    /// saturate, as INT64_MAX does for a Slice's "to the end", and NaN and infinities are 0).
    var intValues: [Int] { ints.map { $0.map { Int($0) } } ?? floats!.map(Self.saturatingInt) }

    /// `v` truncated to Int, clamped to Int's range (Int(v) traps beyond it).
    static func saturatingInt(_ v: Float) -> Int {
        guard v.isFinite else { return 0 }
        if v >= Float(Int.max) { return .max } // Float(Int.max) rounds up to 2^63
        if v < Float(Int.min) { return .min }
        return Int(v)
    }

    var tensor: Tensor { Tensor(shape: shape, values: floatValues) }

    init(_ t: Tensor) { self.init(shape: t.shape, floats: t.scalars) }
}
