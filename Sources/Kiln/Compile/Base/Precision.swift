/// The arithmetic a compiled library's convolutions may use (``AOTCompileOptions/precision``).
///
/// `.bf16` lets convolutions run on the bf16 packed GEMM: weights packed as bfloat16 at
/// compile time, activations rounded to bfloat16 while packing, products accumulated in fp32
/// (`vdpbf16ps`) and the epilogue in fp32. Layers where an fp32 kernel is faster keep it
/// (Winograd F(4×4, 3×3) does 4× fewer multiplies). The contract: max |Δ| ≤ 5e-3 · max |fp32
/// reference| and the same top-1 class. The compile checks it on seeded inputs and keeps in
/// fp32 the layers that contribute most error until the network is within 0.7 of it (the
/// library's `bf16_accuracy` metadata; README, bf16).
public enum Precision: String, Sendable, Codable, CaseIterable {
    case fp32, bf16

    /// /proc/cpuinfo flags a library of this precision needs (recorded in its metadata as
    /// `requires_cpu_features`, checked by aotLoad through ``CPUInfo/missingFeatures(_:)``).
    public var requiredCPUFeatures: [String] {
        switch self {
        case .fp32: []
        case .bf16: ["avx512f", "avx512bw", "avx512vl", "avx512_bf16"]
        }
    }
}
