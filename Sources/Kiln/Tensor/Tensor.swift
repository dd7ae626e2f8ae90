/// An n-dimensional, contiguous, row-major float32 tensor.
///
/// Tensors are values: copying one is cheap (the storage is shared) and writing through
/// ``withUnsafeMutableBufferPointer(_:)`` copies the storage first when it is shared.
public struct Tensor: Sendable {
    /// Sizes of each dimension, outermost first (NCHW for images).
    public let shape: [Int]
    @usableFromInline var storage: TensorStorage

    /// Number of elements (the product of ``shape``; 1 for a scalar).
    public var count: Int { storage.count }
    /// Number of dimensions.
    public var rank: Int { shape.count }

    /// A tensor of `shape` holding `values` in row-major order.
    public init(shape: [Int], values: [Float]) {
        let n = Tensor.elementCount(shape)
        precondition(values.count == n, "Tensor(shape: \(shape)) needs \(n) values, got \(values.count)")
        self.shape = shape
        storage = TensorStorage(uninitializedCount: n)
        _ = storage.buffer.initialize(from: values)
    }

    /// A tensor whose values are uninitialised; the caller writes every element.
    init(uninitializedShape shape: [Int]) {
        self.shape = shape
        storage = TensorStorage(uninitializedCount: Tensor.elementCount(shape))
    }

    init(shape: [Int], storage: TensorStorage) {
        precondition(Tensor.elementCount(shape) == storage.count, "shape \(shape) does not match storage of \(storage.count)")
        self.shape = shape
        self.storage = storage
    }

    /// Product of the dimensions; traps on negative sizes.
    static func elementCount(_ shape: [Int]) -> Int {
        shape.reduce(1) { acc, d in
            precondition(d >= 0, "negative dimension in shape \(shape)")
            return acc * d
        }
    }

    /// All values, row-major.
    public var scalars: [Float] { Array(storage.buffer) }

    /// Reads the values in place.
    @inlinable
    public func withUnsafeBufferPointer<R>(_ body: (UnsafeBufferPointer<Float>) throws -> R) rethrows -> R {
        try body(UnsafeBufferPointer(start: storage.base, count: storage.count))
    }

    /// Writes the values in place, copying the storage first if another tensor shares it.
    public mutating func withUnsafeMutableBufferPointer<R>(_ body: (UnsafeMutableBufferPointer<Float>) throws -> R) rethrows -> R {
        if !isKnownUniquelyReferenced(&storage) {
            let copy = TensorStorage(uninitializedCount: storage.count)
            copy.base.update(from: storage.base, count: storage.count)
            storage = copy
        }
        return try body(storage.buffer)
    }

    /// The element at a multi-index.
    public subscript(_ index: Int...) -> Float {
        storage.base[flatIndex(index)]
    }

    func flatIndex(_ index: [Int]) -> Int {
        precondition(index.count == rank, "index \(index) has rank \(index.count), tensor has rank \(rank)")
        var flat = 0
        for (i, d) in zip(index, shape) {
            precondition(i >= 0 && i < d, "index \(index) out of range for shape \(shape)")
            flat = flat * d + i
        }
        return flat
    }

    /// The same values viewed with another shape of the same element count (no copy).
    /// One dimension may be -1 and is inferred.
    public func reshaped(_ newShape: [Int]) -> Tensor {
        var dims = newShape
        if let hole = dims.firstIndex(of: -1) {
            let known = dims.enumerated().filter { $0.offset != hole }.reduce(1) { $0 * $1.element }
            precondition(known > 0 && count % known == 0, "cannot reshape \(shape) to \(newShape)")
            dims[hole] = count / known
        }
        return Tensor(shape: dims, storage: storage)
    }

    /// Rows `range` of dimension 0, copied.
    public func slice(batch range: Range<Int>) -> Tensor {
        precondition(rank >= 1 && range.lowerBound >= 0 && range.upperBound <= shape[0], "batch slice \(range) out of range for shape \(shape)")
        let row = shape.dropFirst().reduce(1, *)
        let out = Tensor(uninitializedShape: [range.count] + shape.dropFirst())
        out.storage.base.update(from: storage.base + range.lowerBound * row, count: range.count * row)
        return out
    }

    /// Joins tensors along dimension 0; all other dimensions must agree.
    public static func concatenate(batch parts: [Tensor]) -> Tensor {
        precondition(!parts.isEmpty, "concatenate needs at least one tensor")
        let inner = Array(parts[0].shape.dropFirst())
        precondition(parts.allSatisfy { Array($0.shape.dropFirst()) == inner }, "concatenate: mismatched shapes \(parts.map(\.shape))")
        let out = Tensor(uninitializedShape: [parts.reduce(0) { $0 + $1.shape[0] }] + inner)
        var at = out.storage.base
        for p in parts {
            at.update(from: p.storage.base, count: p.count)
            at += p.count
        }
        return out
    }
}

extension Tensor {
    /// A tensor of zeros.
    public static func zeros(_ shape: [Int]) -> Tensor { full(shape, 0) }
    /// A tensor of ones.
    public static func ones(_ shape: [Int]) -> Tensor { full(shape, 1) }
    /// A tensor with every element `value`.
    public static func full(_ shape: [Int], _ value: Float) -> Tensor {
        let t = Tensor(uninitializedShape: shape)
        t.storage.buffer.initialize(repeating: value)
        return t
    }
}
