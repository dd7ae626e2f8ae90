import CKilnKernels
import Foundation
import Testing
@testable import Kiln

/// Shared helpers for the C kernel tests: deterministic inputs, guarded outputs and the
/// fast-versus-reference tolerance.
enum KernelCheck {
    /// Relative tolerance of every fast-vs-reference comparison:
    /// pass when max |fast - ref| ≤ 1e-4 · max(1, max |ref|).
    static let relativeTolerance: Float = 1e-4

    /// Value written past the end of every output/workspace buffer; a kernel that writes
    /// out of bounds changes it.
    static let guardValue: Float = 1234.5
    static let guardCount = 16

    /// One pool of standard normals; each input is a window of it (generating fresh
    /// normals for a thousand cases would dominate a debug-build test run).
    static let pool: [Float] = Tensor.randn([1 << 18], seed: 20_24).scalars

    /// `count` normals read cyclically from a seed-dependent offset of the pool.
    static func inputs(_ count: Int, seed: Int) -> [Float] {
        let offset = (seed &* 7919) % pool.count
        if offset + count <= pool.count { return Array(pool[offset..<offset + count]) }
        var out = Array(pool[offset...])
        out.reserveCapacity(count)
        while out.count < count { out += pool.prefix(count - out.count) }
        return out
    }

    /// `count` values in [0.1, 2.1), e.g. for batch-norm variances.
    static func positive(_ count: Int, seed: Int) -> [Float] {
        inputs(count, seed: seed).map { 0.1 + abs($0).truncatingRemainder(dividingBy: 2) }
    }

    /// An output buffer of `count` NaNs (so unwritten elements fail the comparison)
    /// followed by `guardCount` guard values.
    static func guarded(_ count: Int) -> [Float] {
        [Float](repeating: .nan, count: count) + [Float](repeating: guardValue, count: guardCount)
    }

    /// Whether the guard tail after `count` elements is intact.
    static func guardIntact(_ buffer: [Float], count: Int) -> Bool {
        buffer[count...].allSatisfy { $0 == guardValue }
    }

    /// Max |a - b| and max |b| over the first `count` elements; NaN anywhere in `a` or `b`
    /// makes the difference infinite unless both are NaN at the same place.
    static func difference(_ a: [Float], _ b: [Float], count: Int) -> (diff: Float, maxRef: Float) {
        a.withUnsafeBufferPointer { pa in
            b.withUnsafeBufferPointer { pb in
                var diff: Float = 0, maxRef: Float = 0
                for i in 0..<count {
                    let x = pa[i], r = pb[i]
                    if x.isNaN || r.isNaN {
                        if !(x.isNaN && r.isNaN) { diff = .infinity }
                        continue
                    }
                    diff = max(diff, abs(x - r))
                    maxRef = max(maxRef, abs(r))
                }
                return (diff, maxRef)
            }
        }
    }

    /// nil when `fast` matches `ref` within the tolerance and its guard tail is intact;
    /// otherwise a message naming `params`.
    static func mismatch(_ fast: [Float], _ ref: [Float], count: Int, params: @autoclosure () -> String) -> String? {
        let (diff, maxRef) = difference(fast, ref, count: count)
        let tol = relativeTolerance * max(1, maxRef)
        if !(diff <= tol) {
            return "\(params()): max |fast-ref| = \(diff) > tol \(tol) (max |ref| = \(maxRef))"
        }
        if fast.count > count && !guardIntact(fast, count: count) {
            return "\(params()): wrote past the end of the output"
        }
        return nil
    }

    /// Records at most `limit` failures (a broken kernel would otherwise print thousands).
    static func record(_ failures: [String], limit: Int = 15, sourceLocation: SourceLocation = #_sourceLocation) {
        for f in failures.prefix(limit) { Issue.record(Comment(rawValue: f), sourceLocation: sourceLocation) }
        if failures.count > limit {
            Issue.record(Comment(rawValue: "… and \(failures.count - limit) more failures"), sourceLocation: sourceLocation)
        }
    }

    /// PyTorch's floor division (Swift's `/` truncates toward zero).
    static func floorDiv(_ a: Int, _ b: Int) -> Int {
        Int((Double(a) / Double(b)).rounded(.down))
    }
}

/// Mutable state shared by test threads, guarded by a lock.
final class UncheckedBox<T>: @unchecked Sendable {
    private let lock = NSLock()
    private var stored: T
    init(_ value: T) { stored = value }
    var value: T { lock.withLock { stored } }
    func withLock<R>(_ body: (inout T) -> R) -> R { lock.withLock { body(&stored) } }
}

/// Runs `body(i)` for i in 0..<count, each on its own OS thread, all started before any
/// is awaited (Swift's cooperative pool may have fewer threads than that).
func runOnThreads(_ count: Int, _ body: @escaping @Sendable (Int) -> Void) {
    let group = DispatchGroup()
    for i in 0..<count {
        group.enter()
        let t = Thread {
            body(i)
            group.leave()
        }
        t.start()
    }
    group.wait()
}
