import Foundation

/// The host CPU as Linux describes it in /proc/cpuinfo.
public struct CPUInfo: Sendable {
    /// "model name", e.g. "AMD EPYC" or "Intel(R) Xeon(R) Platinum 8375C CPU @ 2.90GHz".
    public let modelName: String
    /// Feature flags of the first processor ("avx2", "avx512f", …).
    public let flags: Set<String>
    /// Online logical CPUs.
    public let logicalCores: Int
    /// Size of the highest cache level of CPU 0 (sysfs), e.g. 32 MiB; nil when Linux does not say.
    public let lastLevelCacheBytes: Int?

    /// Read once per process.
    public static let current: CPUInfo = {
        let text = (try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8)) ?? ""
        func field(_ name: String) -> String? {
            for line in text.split(separator: "\n") where line.hasPrefix(name) {
                if let colon = line.firstIndex(of: ":") { return line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces) }
            }
            return nil
        }
        return CPUInfo(modelName: field("model name") ?? "unknown CPU",
                       flags: Set((field("flags") ?? "").split(separator: " ").map(String.init)),
                       logicalCores: ProcessInfo.processInfo.activeProcessorCount,
                       lastLevelCacheBytes: lastLevelCache(sysfs: "/sys/devices/system/cpu/cpu0/cache"))
    }()

    /// The size of the highest-level cache under a sysfs `cache` folder (`index*/level`, `index*/size`
    /// such as "32768K"); nil when none is readable.
    static func lastLevelCache(sysfs folder: String) -> Int? {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []
        var best: (level: Int, bytes: Int)?
        for e in entries where e.hasPrefix("index") {
            func read(_ f: String) -> String? {
                (try? String(contentsOfFile: "\(folder)/\(e)/\(f)", encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines)
            }
            guard let level = read("level").flatMap({ Int($0) }), var text = read("size"), !text.isEmpty else { continue }
            let unit = text.last!
            let scale = unit == "K" ? 1 << 10 : unit == "M" ? 1 << 20 : unit == "G" ? 1 << 30 : 1
            if scale > 1 { text.removeLast() }
            guard let n = Int(text), n > 0 else { continue }
            if best == nil || level > best!.level { best = (level, n * scale) }
        }
        return best?.bytes
    }

    /// The SIMD level in words: "AVX-512", "AVX2", "AVX" or "SSE".
    public var simdLevel: String {
        if flags.contains("avx512f") { return "AVX-512" }
        if flags.contains("avx2") { return "AVX2" }
        return flags.contains("avx") ? "AVX" : "SSE"
    }
}
