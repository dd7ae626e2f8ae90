import Foundation

/// What the code generator produces: `model.c` and the weights it embeds (`weights.bin`).
struct GeneratedModel {
    var source: String
    var weights: Data

    /// The compile cache's key: a hash of everything that determines the library's bytes —
    /// the generated model.c, the weights, the kernel sources, the compiler's identity
    /// (`cc --version`), the flags (with OpenBLAS's), the ABI and codegen versions, and the
    /// host CPU (for -march=native).
    func cacheKey(toolchain: Toolchain) -> String {
        var d = SHA256Digest()
        d.add("abi", "\(KilnModelABI.version)")
        d.add("codegen", "\(CodeGenerator.version)")
        d.add("model.c", source)
        d.add("weights.bin", data: weights)
        for f in KernelSources.files { d.add(f.name, f.text) }
        d.add("compiler", toolchain.identity)
        d.add("flags", (Toolchain.flags + toolchain.blasFlags).joined(separator: " "))
        d.add("cpu", CPUInfo.current.modelName + " " + CPUInfo.current.flags.sorted().joined(separator: " "))
        return d.finalHex
    }
}
