import Foundation

/// Runs `body` once and returns its result with the wall time it took in milliseconds,
/// measured on the monotonic clock (`CLOCK_MONOTONIC`, unaffected by clock changes).
public func timed<T>(_ body: () throws -> T) rethrows -> (result: T, milliseconds: Double) {
    let start = monotonicNanoseconds()
    let result = try body()
    return (result, Double(monotonicNanoseconds() - start) / 1e6)
}

/// Nanoseconds on the monotonic clock.
public func monotonicNanoseconds() -> UInt64 {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return UInt64(ts.tv_sec) * 1_000_000_000 + UInt64(ts.tv_nsec)
}
