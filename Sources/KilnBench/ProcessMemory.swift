import Foundation
import Kiln

/// Resident memory of this process, from Linux's `/proc/self/status`.
///
/// `VmHWM` (the high-water mark of resident memory) is what a benchmark reports as peak
/// memory: it counts every page ever touched at once — heap, stacks, mapped library code
/// and the weights embedded in a compiled library as they are read — and is reset by
/// `exec`, so a fresh child process measures one workload alone.
public enum ProcessMemory {
    /// Current resident set (`VmRSS`) in bytes, or nil where /proc is unavailable.
    public static var residentBytes: Int? { statusField("VmRSS") }

    /// Peak resident set since the process started (`VmHWM`) in bytes; falls back to
    /// `getrusage`'s `ru_maxrss` where /proc is unavailable.
    public static var peakResidentBytes: Int? {
        if let hwm = statusField("VmHWM") { return hwm }
        var usage = rusage()
        guard getrusage(RUSAGE_SELF.rawValue, &usage) == 0 else { return nil }
        return Int(usage.ru_maxrss) * 1024   // kilobytes on Linux
    }

    /// A `kB` field of /proc/self/status, in bytes.
    static func statusField(_ name: String) -> Int? {
        guard let text = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return nil }
        return parseStatusField(name, in: text)
    }

    /// `VmHWM:\t  123456 kB` → 123456 · 1024.
    static func parseStatusField(_ name: String, in text: String) -> Int? {
        for line in text.split(separator: "\n") where line.hasPrefix(name + ":") {
            let digits = line.dropFirst(name.count + 1).filter(\.isNumber)
            return Int(digits).map { $0 * 1024 }
        }
        return nil
    }
}
