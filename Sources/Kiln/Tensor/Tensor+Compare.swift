/// The outcome of comparing a tensor against a reference, element by element.
public struct TensorComparison: Sendable, CustomStringConvertible {
    /// Whether every element satisfied |a - b| ≤ atol + rtol·|b|, and the shapes agree.
    public let isClose: Bool
    /// Largest |a - b| over all elements (infinite when shapes differ or a NaN appears).
    public let maxAbsDifference: Float
    /// Largest |b| in the reference.
    public let maxAbsReference: Float
    /// Multi-index of the element that exceeded its tolerance by the most (or of the
    /// largest difference when all are within tolerance); nil for empty tensors.
    public let worstIndex: [Int]?
    /// Value at ``worstIndex`` in the tensor and in the reference.
    public let worstValue: Float?, referenceValue: Float?
    /// Set when the shapes differ.
    public let shapeMismatch: (actual: [Int], expected: [Int])?

    public var description: String {
        if let m = shapeMismatch { return "shape \(m.actual) differs from reference shape \(m.expected)" }
        guard let idx = worstIndex, let a = worstValue, let b = referenceValue else { return "empty tensors: equal" }
        return "\(isClose ? "close" : "NOT close"): max |Δ| = \(maxAbsDifference) (max |ref| = \(maxAbsReference)); worst at \(idx): \(a) vs reference \(b)"
    }
}

extension Tensor {
    /// Compares against `reference`: element i passes when |self[i] - ref[i]| ≤ atol + rtol·|ref[i]|.
    /// NaN matches only NaN at the same place.
    public func compare(to reference: Tensor, rtol: Float = 1e-5, atol: Float = 1e-6) -> TensorComparison {
        guard shape == reference.shape else {
            return TensorComparison(isClose: false, maxAbsDifference: .infinity, maxAbsReference: 0, worstIndex: nil,
                                    worstValue: nil, referenceValue: nil, shapeMismatch: (shape, reference.shape))
        }
        var maxDiff: Float = 0, maxRef: Float = 0, worst = -1, worstExcess = -Float.infinity, close = true
        withUnsafeBufferPointer { a in
            reference.withUnsafeBufferPointer { b in
                for i in 0..<a.count {
                    let x = a[i], y = b[i]
                    maxRef = max(maxRef, abs(y).isNaN ? 0 : abs(y))
                    if x.isNaN || y.isNaN {
                        if x.isNaN != y.isNaN { close = false; maxDiff = .infinity; if worstExcess < .infinity { worstExcess = .infinity; worst = i } }
                        continue
                    }
                    let d = x == y ? 0 : abs(x - y)   // equal infinities differ by 0
                    maxDiff = max(maxDiff, d)
                    let excess = d - (atol + rtol * abs(y))
                    if excess > 0 { close = false }
                    if excess > worstExcess { worstExcess = excess; worst = i }
                }
            }
        }
        guard worst >= 0 else {
            return TensorComparison(isClose: true, maxAbsDifference: 0, maxAbsReference: 0, worstIndex: nil,
                                    worstValue: nil, referenceValue: nil, shapeMismatch: nil)
        }
        return TensorComparison(isClose: close, maxAbsDifference: maxDiff, maxAbsReference: maxRef,
                                worstIndex: unflatten(worst), worstValue: storage.base[worst],
                                referenceValue: reference.storage.base[worst], shapeMismatch: nil)
    }

    /// True when ``compare(to:rtol:atol:)`` finds every element close.
    public func isClose(to reference: Tensor, rtol: Float = 1e-5, atol: Float = 1e-6) -> Bool {
        compare(to: reference, rtol: rtol, atol: atol).isClose
    }

    /// Largest absolute value (0 for an empty tensor; NaN ignored).
    public var maxAbs: Float {
        withUnsafeBufferPointer { $0.reduce(0) { max($0, abs($1).isNaN ? 0 : abs($1)) } }
    }

    func unflatten(_ flat: Int) -> [Int] {
        var rest = flat
        var idx = [Int](repeating: 0, count: rank)
        for d in stride(from: rank - 1, through: 0, by: -1) where shape[d] > 0 {
            idx[d] = rest % shape[d]
            rest /= shape[d]
        }
        return idx
    }
}
