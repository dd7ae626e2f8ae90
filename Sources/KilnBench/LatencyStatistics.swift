import Kiln

/// Summary of repeated timings of one operation: median, 90th percentile, min, max, mean.
///
/// Percentiles interpolate linearly between the sorted samples (NumPy's default, so
/// `bench/peers.py` computes ONNX Runtime's numbers the same way): the p-th percentile of
/// n sorted samples sits at index `p/100 · (n − 1)`.
public struct LatencyStatistics: Sendable, Equatable, CustomStringConvertible {
    /// The samples in milliseconds, in the order measured.
    public let samples: [Double]
    public let median: Double
    public let p90: Double
    public let min: Double
    public let max: Double
    public let mean: Double

    /// Summarises `samples` (milliseconds). An empty list gives zeros.
    public init(samples: [Double]) {
        self.samples = samples
        let sorted = samples.sorted()
        median = Self.percentile(50, ofSorted: sorted)
        p90 = Self.percentile(90, ofSorted: sorted)
        min = sorted.first ?? 0
        max = sorted.last ?? 0
        mean = samples.isEmpty ? 0 : samples.reduce(0, +) / Double(samples.count)
    }

    /// The `p`-th percentile (0…100) of ascending `sorted`, interpolated linearly.
    public static func percentile(_ p: Double, ofSorted sorted: [Double]) -> Double {
        guard !sorted.isEmpty else { return 0 }
        let position = Swift.min(Swift.max(p, 0), 100) / 100 * Double(sorted.count - 1)
        let lower = Int(position.rounded(.down))
        let upper = Swift.min(lower + 1, sorted.count - 1)
        return sorted[lower] + (sorted[upper] - sorted[lower]) * (position - Double(lower))
    }

    /// Runs `body` `warmup` times untimed, then times it with ``timed(_:)`` until `runs`
    /// samples are taken or `budgetSeconds` of timed runs have passed — whichever comes
    /// first, but never fewer than `minimumRuns` (capped at `runs`) samples.
    ///
    /// The budget keeps slow cases (batch 32 eager) from running for minutes while fast ones
    /// still get every requested sample.
    public static func measure(warmup: Int, runs: Int, minimumRuns: Int = 3, budgetSeconds: Double = .infinity,
                               _ body: () throws -> Void) rethrows -> LatencyStatistics {
        for _ in 0..<Swift.max(warmup, 0) { try body() }
        var samples: [Double] = []
        var spent = 0.0
        let floor = Swift.min(minimumRuns, runs)
        while samples.count < runs, samples.count < floor || spent < budgetSeconds * 1000 {
            let ms = try timed(body).milliseconds
            samples.append(ms)
            spent += ms
        }
        return LatencyStatistics(samples: samples)
    }

    /// `median 12.34 ms, p90 13.00 ms (n=30)`.
    public var description: String {
        String(format: "median %.2f ms, p90 %.2f ms (n=%d)", median, p90, samples.count)
    }
}
