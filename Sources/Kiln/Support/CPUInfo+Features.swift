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

extension CPUInfo {
    /// What bf16 GEMMs and convolutions run on in this process: AMX tiles (AMX-BF16, granted by Linux and
    /// self-checked; `KILN_AMX=0` turns them off), AVX512_BF16's vdpbf16ps, or the portable C
    /// kernel. Asking may run the AMX self-check once.
    public static var bf16GemmEngine: String {
        if kiln_cpu_has_amx_bf16() != 0 { return "AMX tiles (amx_bf16; KILN_AMX=0 for vdpbf16ps)" }
        let amx = current.flags.contains("amx_bf16")
        let why = amx ? (ProcessInfo.processInfo.environment["KILN_AMX"] == "0" ? "AMX off by KILN_AMX=0" : "AMX not usable (see stderr)")
                      : "no AMX on this CPU"
        if kiln_cpu_has_avx512_bf16() != 0 { return "AVX512_BF16 vdpbf16ps (\(why))" }
        return "portable C (no AVX512_BF16: bf16 libraries refuse to load)"
    }
}
