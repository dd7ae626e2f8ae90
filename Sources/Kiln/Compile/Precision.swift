import Foundation
internal import CKilnKernels

/// The arithmetic a compiled library's convolutions may use (``AOTCompileOptions/precision``).
///
/// `.bf16` lets convolutions run on the bf16 packed GEMM: weights packed as bfloat16 at
/// compile time, activations rounded to bfloat16 while packing, products accumulated in fp32
/// (`vdpbf16ps`) and the epilogue in fp32. Layers where an fp32 kernel is faster keep it
/// (Winograd F(4×4, 3×3) does 4× fewer multiplies). The contract, tested on ResNet-18: max |Δ|
/// ≤ 5e-3 · max |fp32 reference| and the same top-1 class.
public enum Precision: String, Sendable, Codable, CaseIterable {
    case fp32, bf16

    /// /proc/cpuinfo flags a library of this precision needs (recorded in its metadata as
    /// `requires_cpu_features`, checked by aotLoad).
    public var requiredCPUFeatures: [String] {
        switch self {
        case .fp32: []
        case .bf16: ["avx512f", "avx512bw", "avx512vl", "avx512_bf16"]
        }
    }

    /// Test hook: `KILN_HIDE_CPU_FEATURES=avx512_bf16,…` makes aotCompile and aotLoad treat
    /// these flags as absent, so the refusal paths can be tested on any CPU.
    static var hiddenFeatures: Set<String> {
        Set((ProcessInfo.processInfo.environment["KILN_HIDE_CPU_FEATURES"] ?? "")
            .split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty })
    }

    /// The features of `required` this CPU lacks (honouring the hook), in the given order.
    static func missingCPUFeatures(_ required: [String]) -> [String] {
        let have = CPUInfo.current.flags.subtracting(hiddenFeatures)
        var missing = required.filter { !have.contains($0) }
        // The kernels' own check (cpuid), in case /proc/cpuinfo is unavailable or stale.
        if missing.isEmpty, required.contains("avx512_bf16"), kiln_cpu_has_avx512_bf16() == 0 { missing = ["avx512_bf16"] }
        return missing
    }
}
