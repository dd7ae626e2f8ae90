import Foundation
internal import COpenBLAS

/// What OpenBLAS chose on this machine, and whether it matches the CPU.
///
/// Debian's OpenBLAS 0.3.21 does not recognise some AVX-512 CPUs and falls back to its
/// "Prescott" (SSE3) kernels, six times slower. Kiln detects that by comparing the core
/// OpenBLAS picked with the CPU's features, and ``BLAS/recommendedCoreType`` names the core
/// to ask for through `OPENBLAS_CORETYPE` (read by OpenBLAS once, when it is loaded).
public enum BLAS {
    /// The kernel family OpenBLAS uses, e.g. "Haswell", "SkylakeX", "Prescott".
    public static var coreName: String { String(cString: openblas_get_corename()) }
    /// OpenBLAS's build configuration string.
    public static var config: String { String(cString: openblas_get_config()) }
    /// OpenBLAS worker threads.
    public static var threadCount: Int { Int(openblas_get_num_threads()) }

    /// ISA level of an OpenBLAS core name: 3 AVX-512, 2 AVX2+FMA, 1 AVX, 0 older or unknown.
    public static func isaLevel(ofCore name: String) -> Int {
        switch name.lowercased() {
        case "skylakex", "cooperlake", "sapphirerapids": 3
        case "haswell", "zen", "excavator": 2
        case "sandybridge", "bulldozer", "piledriver", "steamroller": 1
        default: 0
        }
    }

    /// The core to request for a CPU with these features (nil when nothing better exists).
    /// SkylakeX for AVX-512 (F, BW, VL, DQ, CD) — its sgemm was checked numerically on this
    /// machine class —, Haswell for AVX2+FMA, Sandybridge for AVX.
    public static func bestCoreType(forCPUFlags flags: Set<String>) -> String? {
        if flags.isSuperset(of: ["avx512f", "avx512bw", "avx512vl", "avx512dq", "avx512cd"]) { return "SkylakeX" }
        if flags.isSuperset(of: ["avx2", "fma"]) { return "Haswell" }
        if flags.contains("avx") { return "Sandybridge" }
        return nil
    }

    /// The core type to set through `OPENBLAS_CORETYPE`, or nil when OpenBLAS's own pick is
    /// as good as the CPU allows or the user has set the variable (never overridden).
    public static func recommendedCoreType(environment: [String: String] = ProcessInfo.processInfo.environment) -> String? {
        guard environment["OPENBLAS_CORETYPE"] == nil,
              let best = bestCoreType(forCPUFlags: CPUInfo.current.flags),
              isaLevel(ofCore: best) > isaLevel(ofCore: coreName) else { return nil }
        return best
    }

    /// `C = A · B` in single precision on OpenBLAS's threads (row-major, no transposes).
    /// - Parameters: a: (m, k), b: (k, n), c: (m, n), each contiguous and at least that long.
    /// Used by the benchmark's sgemm peak; the kernels call `cblas_sgemm` from C.
    public static func sgemm(m: Int, n: Int, k: Int, a: UnsafePointer<Float>, b: UnsafePointer<Float>, c: UnsafeMutablePointer<Float>) {
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(m), Int32(n), Int32(k),
                    1, a, Int32(k), b, Int32(n), 0, c, Int32(n))
    }

    /// One line for `--version` and reports: core, where it came from, threads.
    public static var summary: String {
        let env = ProcessInfo.processInfo.environment["OPENBLAS_CORETYPE"]
        let source = env.map { "OPENBLAS_CORETYPE=\($0)" } ?? "auto-detected"
        var s = "OpenBLAS core \(coreName) (\(source)), \(threadCount) threads"
        if let better = recommendedCoreType() { s += " — below this CPU: set OPENBLAS_CORETYPE=\(better)" }
        return s
    }
}
