import Kiln
internal import CKilnKernels

/// The physical limit of this CPU's cores: peak FMA throughput per precision, measured with
/// independent register-only accumulator chains (`kiln_fma_peak.c`) on all of Kiln's threads.
///
/// fp32 is `vfmadd231ps zmm` (32 FLOP per instruction), bf16 `vdpbf16ps zmm` (64 FLOP: 16
/// lanes × a pair of products, accumulated in fp32). A kernel's GFLOP/s over these numbers is
/// how close it runs to the hardware; the sgemm peak (``SGEMMPeak``) adds memory and packing.
public struct FMAPeak: Sendable, CustomStringConvertible {
    /// Threads the chains ran on.
    public let threads: Int
    /// GFLOP/s; 0 when the CPU lacks the instruction (AVX-512F, AVX512_BF16).
    public let fp32GFLOPS: Double
    public let bf16GFLOPS: Double

    public init(threads: Int, fp32GFLOPS: Double, bf16GFLOPS: Double) {
        self.threads = threads
        self.fp32GFLOPS = fp32GFLOPS
        self.bf16GFLOPS = bf16GFLOPS
    }

    /// Measures both precisions, about `seconds` per run, best of five runs each.
    public static func measure(threads: Int = Kernels.threadCount, seconds: Double = 0.05) -> FMAPeak {
        FMAPeak(threads: threads,
                fp32GFLOPS: kiln_fma_peak_gflops(Int32(KILN_FMA_FP32.rawValue), Int32(threads), seconds),
                bf16GFLOPS: kiln_fma_peak_gflops(Int32(KILN_FMA_BF16.rawValue), Int32(threads), seconds))
    }

    /// `FMA peak (2 threads): fp32 230.1 GFLOP/s (vfmadd231ps zmm), bf16 460.3 GFLOP/s (vdpbf16ps zmm)`.
    public var description: String {
        func g(_ v: Double, _ insn: String) -> String { v > 0 ? String(format: "%.1f GFLOP/s (%@)", v, insn) : "not available (\(insn))" }
        return "FMA peak (\(threads) threads): fp32 \(g(fp32GFLOPS, "vfmadd231ps zmm")), bf16 \(g(bf16GFLOPS, "vdpbf16ps zmm"))"
    }
}
