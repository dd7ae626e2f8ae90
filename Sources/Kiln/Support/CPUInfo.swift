import Foundation

/// The host CPU as Linux describes it in /proc/cpuinfo.
public struct CPUInfo: Sendable {
    /// "model name", e.g. "AMD EPYC" or "Intel(R) Xeon(R) Platinum 8375C CPU @ 2.90GHz".
    public let modelName: String
    /// Feature flags of the first processor ("avx2", "avx512f", …).
    public let flags: Set<String>
    /// Online logical CPUs.
    public let logicalCores: Int

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
                       logicalCores: ProcessInfo.processInfo.activeProcessorCount)
    }()

    /// The SIMD level in words: "AVX-512", "AVX2", "AVX" or "SSE".
    public var simdLevel: String {
        if flags.contains("avx512f") { return "AVX-512" }
        if flags.contains("avx2") { return "AVX2" }
        return flags.contains("avx") ? "AVX" : "SSE"
    }
}
