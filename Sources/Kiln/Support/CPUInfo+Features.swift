import Foundation
internal import CKilnKernels

extension CPUInfo {
    /// Test hook: `KILN_HIDE_CPU_FEATURES=avx512_bf16,…` makes aotCompile and aotLoad treat
    /// these flags as absent, so the refusal paths can be tested on any CPU.
    static var hiddenFeatures: Set<String> {
        Set((ProcessInfo.processInfo.environment["KILN_HIDE_CPU_FEATURES"] ?? "")
            .split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty })
    }

    /// The features of `required` (/proc/cpuinfo flag names) this CPU lacks, honouring the
    /// hook, in the given order.
    func missingFeatures(_ required: [String]) -> [String] {
        let have = flags.subtracting(Self.hiddenFeatures)
        var missing = required.filter { !have.contains($0) }
        // The kernels' own check (cpuid), in case /proc/cpuinfo is unavailable or stale.
        if missing.isEmpty, required.contains("avx512_bf16"), kiln_cpu_has_avx512_bf16() == 0 { missing = ["avx512_bf16"] }
        return missing
    }
}
