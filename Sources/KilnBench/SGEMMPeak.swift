import Kiln

/// The machine's practical single-precision peak, measured the way the kernels see it: a
/// large square OpenBLAS sgemm on all of OpenBLAS's threads.
///
/// Convolution kernels are mostly sgemm (im2col) or sgemm-shaped, so "effective GFLOP/s as a
/// fraction of the sgemm peak measured in the same run" says how much of the machine a model
/// uses, independent of how fast the machine or the current OpenBLAS core is.
public struct SGEMMPeak: Sendable, CustomStringConvertible {
    /// Matrix size n of the `n×n · n×n` product.
    public let size: Int
    /// Timings of the product, in milliseconds.
    public let statistics: LatencyStatistics

    /// GFLOP/s of the fastest run (`2n³` FLOPs): the peak, not the typical rate.
    public var gflops: Double { statistics.min > 0 ? 2 * pow3(size) / (statistics.min * 1e6) : 0 }
    /// GFLOP/s of the median run.
    public var medianGFLOPS: Double { statistics.median > 0 ? 2 * pow3(size) / (statistics.median * 1e6) : 0 }

    private func pow3(_ n: Int) -> Double { Double(n) * Double(n) * Double(n) }

    /// Measures `size`×`size` sgemm: one warm-up, then `runs` timed products.
    ///
    /// 2048 is large enough for OpenBLAS to reach its steady rate on every thread (smaller
    /// sizes lose to packing and thread start-up) and takes ~60–120 ms per product here.
    /// Inputs are seeded uniform numbers in [0, 1) — finite, no denormals, so the rate does
    /// not depend on the values.
    public static func measure(size: Int = 2048, runs: Int = 5) -> SGEMMPeak {
        let n = Swift.max(size, 1)
        let a = Tensor.rand([n, n], seed: 11), b = Tensor.rand([n, n], seed: 12)
        var c = Tensor.zeros([n, n])
        let stats = LatencyStatistics.measure(warmup: 1, runs: Swift.max(runs, 1), minimumRuns: Swift.max(runs, 1)) {
            a.withUnsafeBufferPointer { pa in
                b.withUnsafeBufferPointer { pb in
                    c.withUnsafeMutableBufferPointer { pc in
                        BLAS.sgemm(m: n, n: n, k: n, a: pa.baseAddress!, b: pb.baseAddress!, c: pc.baseAddress!)
                    }
                }
            }
        }
        return SGEMMPeak(size: n, statistics: stats)
    }

    /// `sgemm 2048³: 289.1 GFLOP/s peak (median 280.3)`.
    public var description: String {
        String(format: "sgemm %d³: %.1f GFLOP/s peak (median %.1f)", size, gflops, medianGFLOPS)
    }
}
