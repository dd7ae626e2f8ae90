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
    /// The values as Int (floats truncated, as Cast to INT64 does).
    var intValues: [Int] { ints.map { $0.map { Int($0) } } ?? floats!.map { $0.isFinite ? Int($0) : 0 } }

    var tensor: Tensor { Tensor(shape: shape, values: floatValues) }

    init(_ t: Tensor) { self.init(shape: t.shape, floats: t.scalars) }
}
