/// The buffer behind a ``Tensor``: `count` float32 values, 64-byte aligned so that
/// vector kernels and BLAS see cache-line-aligned rows.
public final class TensorStorage: @unchecked Sendable {
    /// Start of the values. Valid for `count` elements while the storage lives.
    public let base: UnsafeMutablePointer<Float>
    /// Number of float32 values.
    public let count: Int
    private let owner: AnyObject?

    /// Allocates `count` values, uninitialised (callers write every element).
    init(uninitializedCount count: Int) {
        precondition(count >= 0, "negative element count")
        let raw = UnsafeMutableRawPointer.allocate(byteCount: max(count, 1) * 4, alignment: 64)
        base = raw.bindMemory(to: Float.self, capacity: max(count, 1))
        self.count = count
        owner = nil
    }

    /// Wraps memory owned by `owner` (e.g. a memory-mapped file); nothing is copied.
    init(borrowing base: UnsafeMutablePointer<Float>, count: Int, owner: AnyObject) {
        self.base = base
        self.count = count
        self.owner = owner
    }

    deinit {
        if owner == nil { UnsafeMutableRawPointer(base).deallocate() }
    }

    var buffer: UnsafeMutableBufferPointer<Float> { .init(start: base, count: count) }
}
