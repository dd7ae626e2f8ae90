import Foundation

/// One step of an `aotCompile` and what it cost (``AOTCompileReport/stages``; `KILN_DEBUG=1`
/// prints them): where a cold compile's time goes, in the order the steps ended.
public struct AOTCompileStage: Sendable {
    /// What ran: `lower`, `select`, `codegen`, `cache key`, `cc model.c`, `link`, ….
    public var name: String
    /// Wall time. Compiles run two or more at a time, so their wall times overlap.
    public var milliseconds: Double
    /// CPU time (user + system): of the compiler and its children for `cc …` and `link`, of
    /// the compiling thread for the in-process steps. Unlike wall time it hardly depends on
    /// what else the machine runs.
    public var cpuMilliseconds: Double
    /// True for a kernel file whose object came from the cache's `objects/` or the prebuilt
    /// store (no compiler ran).
    public var cached = false
    /// True for a kernel file whose object came from the prebuilt store
    /// (``AOTCompileOptions/prebuiltKernelObjects``).
    public var prebuilt = false

    /// `name  12.3 ms wall, 11.9 ms CPU` (or `cached`).
    public var summary: String {
        let label = name.padding(toLength: max(name.count, 28), withPad: " ", startingAt: 0)
        return cached ? "\(label) object \(prebuilt ? "prebuilt" : "cached")" : String(format: "%@ %8.1f ms wall %8.1f ms CPU", label, milliseconds, cpuMilliseconds)
    }
}

/// Records ``AOTCompileStage``s of the calling thread's work.
struct StageClock {
    private(set) var stages: [AOTCompileStage] = []

    /// Runs `body`, recording its wall and thread CPU time as `name`.
    mutating func measure<T>(_ name: String, _ body: () throws -> T) rethrows -> T {
        let (wall, cpu) = (monotonicNanoseconds(), Self.threadCPUNanoseconds())
        defer {
            stages.append(AOTCompileStage(name: name, milliseconds: Double(monotonicNanoseconds() - wall) / 1e6,
                                          cpuMilliseconds: Double(Self.threadCPUNanoseconds() - cpu) / 1e6))
        }
        return try body()
    }

    mutating func append(contentsOf more: [AOTCompileStage]) { stages += more }

    static func threadCPUNanoseconds() -> UInt64 {
        var ts = timespec()
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts)
        return UInt64(ts.tv_sec) * 1_000_000_000 + UInt64(ts.tv_nsec)
    }
}
