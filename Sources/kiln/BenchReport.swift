import Foundation
import Kiln
import KilnBench

/// Everything `kiln bench` measured: the machine, the sgemm peak, per-(batch, path)
/// latencies and per-model compile/load/memory figures. Printed as a table or, with
/// `--json`, as one JSON object (see ``jsonObject``).
struct BenchReport {
    /// One latency measurement.
    struct Result {
        var model: String
        var batch: Int
        /// "compiled" or "eager".
        var path: String
        /// The arithmetic of the timed path's convolutions.
        var precision: Precision
        var statistics: LatencyStatistics
        var flops: FLOPCount
        /// The core-to-core round trip probed right before and after the timing (compiled
        /// rows; nil entries: not measured), so a number can be read with the vCPU placement.
        var coreRoundTrip: [CoreRoundTrip?] = []
        var gflops: Double { flops.gflops(milliseconds: statistics.median) }
    }

    /// Compile, load and memory figures of one model.
    struct ModelFigures {
        var model: String
        var weights: String
        /// Which library the compiled rows timed: "max-autotune" or "default".
        var library: String
        var gflopPerImage: Double
        var weightsBytes: Int
        /// Cold cache: an empty compile cache, kernel objects from the prebuilt store when there
        /// is one (`kiln prebuild-kernels`; how many in `prebuiltObjects`).
        var compileSeconds: Double?
        var compileAutotuneSeconds: Double?
        /// Cold cache and no prebuilt store: every kernel file compiled (nil when no store was used).
        var compileEverythingSeconds: Double? = nil
        var prebuiltObjects = 0
        /// Swift host (`aotLoad`): load, first run and steady median at batch 1 (of the
        /// process with the median first-run ratio among `freshProcesses`).
        var fresh: FreshRunMeasurement?
        var freshProcesses = 1
        /// Plain C host (dlopen): the peak memory of a batch-1 run without a Swift runtime.
        var cHost: FreshRunMeasurement?
    }

    var cpu = CPUInfo.current.modelName
    var simd = CPUInfo.current.simdLevel
    var threads = Kernels.threadCount
    var blasCore = BLAS.coreName
    var blasCoreSource = ProcessInfo.processInfo.environment["OPENBLAS_CORETYPE"].map { "OPENBLAS_CORETYPE=\($0)" } ?? "auto-detected"
    var blasThreads = BLAS.threadCount
    var date = ISO8601DateFormatter().string(from: Date())
    var command = "kiln " + CommandLine.arguments.dropFirst().joined(separator: " ")
    var sgemm: SGEMMPeak?
    /// The cores' peak FMA throughput per precision (the physical limit), same run.
    var fmaPeak: FMAPeak?
    var results: [Result] = []
    var models: [ModelFigures] = []

    var peakGFLOPS: Double { sgemm?.gflops ?? 0 }

    /// The `--json` object. Times in ms (compile in s), memory in MB (10⁶ bytes), rounded
    /// to 4 significant decimals; figures not measured are null.
    var jsonObject: [String: Any] {
        func r(_ x: Double, _ digits: Double = 1000) -> Double { (x * digits).rounded() / digits }
        func opt(_ x: Double?) -> Any { x.map { r($0) } ?? NSNull() }
        func mb(_ bytes: Int?) -> Any { bytes.map { r(Double($0) / 1e6, 10) } ?? NSNull() }
        return [
            "kiln_version": KilnVersion.string,
            "date": date,
            "command": command,
            "cpu": cpu,
            "simd": simd,
            "threads": threads,
            "blas_core": blasCore,
            "blas_core_source": blasCoreSource,
            "blas_threads": blasThreads,
            "sgemm_peak_gflops": r(peakGFLOPS, 10),
            "sgemm_size": sgemm?.size ?? 0,
            "fma_peak": fmaPeak.map { ["threads": $0.threads, "fp32_gflops": r($0.fp32GFLOPS, 10), "bf16_gflops": r($0.bf16GFLOPS, 10)] as [String: Any] } ?? NSNull(),
            "results": results.map { res -> [String: Any] in
                [
                    "model": res.model, "batch": res.batch, "path": res.path, "precision": res.precision.rawValue,
                    "median_ms": r(res.statistics.median), "p90_ms": r(res.statistics.p90),
                    "min_ms": r(res.statistics.min), "runs": res.statistics.samples.count,
                    "gflops": r(res.gflops, 10),
                    "fraction_of_peak": peakGFLOPS > 0 ? r(res.gflops / peakGFLOPS, 10000) : NSNull(),
                    "core_round_trip_ns": res.coreRoundTrip.isEmpty ? NSNull() : res.coreRoundTrip.map { $0.map { r($0.nanoseconds, 1) } ?? NSNull() } as [Any],
                ]
            },
            "models": models.map { m -> [String: Any] in
                [
                    "model": m.model, "weights": m.weights, "library": m.library,
                    "gflop_per_image": r(m.gflopPerImage, 10000),
                    "compile_s": opt(m.compileSeconds), "compile_autotune_s": opt(m.compileAutotuneSeconds),
                    "compile_prebuilt_objects": m.prebuiltObjects, "compile_everything_s": opt(m.compileEverythingSeconds),
                    "load_ms": opt(m.fresh?.loadMilliseconds), "first_run_ms": opt(m.fresh?.firstRunMilliseconds),
                    "steady_ms": opt(m.fresh?.steadyMedianMilliseconds), "fresh_processes": m.freshProcesses,
                    // Peak memory of a batch-1 run as deployed from C (the library's own cost plus
                    // a bare C process); the Swift host's figures, which add ~25 MB of runtime, beside it.
                    "peak_rss_mb": mb(m.cHost?.peakResidentBytes ?? m.fresh?.peakResidentBytes),
                    "baseline_rss_mb": mb(m.cHost?.baselineResidentBytes ?? m.fresh?.baselineResidentBytes),
                    "loaded_rss_mb": mb(m.cHost?.loadedResidentBytes ?? m.fresh?.loadedResidentBytes),
                    "peak_rss_host": m.cHost != nil ? "c" : "swift",
                    "swift_host_peak_rss_mb": mb(m.fresh?.peakResidentBytes),
                    "swift_host_baseline_rss_mb": mb(m.fresh?.baselineResidentBytes),
                    "c_host_load_ms": opt(m.cHost?.loadMilliseconds), "c_host_first_run_ms": opt(m.cHost?.firstRunMilliseconds),
                    "c_host_steady_ms": opt(m.cHost?.steadyMedianMilliseconds),
                    "weights_mb": mb(m.weightsBytes),
                ]
            },
        ]
    }

    /// The JSON text: one object, keys sorted.
    func json() throws -> String {
        let data = try JSONSerialization.data(withJSONObject: jsonObject, options: [.prettyPrinted, .sortedKeys])
        return String(decoding: data, as: UTF8.self)
    }

    /// The human-readable report.
    var table: String {
        var lines: [String] = []
        lines.append("kiln bench — Kiln \(KilnVersion.string), \(date)")
        lines.append("CPU: \(cpu) (\(simd)); Kiln kernels \(threads) threads; OpenBLAS core \(blasCore) (\(blasCoreSource)), \(blasThreads) threads")
        if let sgemm { lines.append(String(format: "sgemm peak: %.1f GFLOP/s (%d³ on all OpenBLAS threads, best of %d; median %.1f)",
                                           sgemm.gflops, sgemm.size, sgemm.statistics.samples.count, sgemm.medianGFLOPS)) }
        if let fmaPeak { lines.append(fmaPeak.description) }
        lines.append("")
        lines.append(row(["model", "batch", "path", "median ms", "p90 ms", "GFLOP/s", "of peak", "runs"]))
        for res in results {
            let frac = peakGFLOPS > 0 ? String(format: "%.0f%%", 100 * res.gflops / peakGFLOPS) : "–"
            lines.append(row([res.model, "\(res.batch)", res.path + (res.precision == .fp32 ? "" : " " + res.precision.rawValue), String(format: "%.2f", res.statistics.median),
                              String(format: "%.2f", res.statistics.p90), String(format: "%.1f", res.gflops), frac,
                              "\(res.statistics.samples.count)"]))
        }
        let probed = results.filter { !$0.coreRoundTrip.isEmpty }
        if !probed.isEmpty {
            // Far placements (a round trip several times the usual) explain slow two-thread rows.
            lines.append("core-to-core round trip before/after each compiled timing: " + probed.map { res in
                "batch \(res.batch) " + res.coreRoundTrip.map { $0.map { String(format: "%.0f", $0.nanoseconds) } ?? "–" }.joined(separator: "/") + " ns"
            }.joined(separator: ", "))
        }
        for m in models {
            lines.append("")
            lines.append(String(format: "%@ (%@ weights, %.3f GFLOP per image; compiled rows: %@ library)",
                                m.model, m.weights, m.gflopPerImage, m.library))
            func s(_ x: Double?, _ f: String) -> String { x.map { String(format: f, $0) } ?? "not measured" }
            lines.append("  aotCompile, cold cache:               " + s(m.compileSeconds, "%.2f s")
                         + (m.prebuiltObjects > 0 ? " (\(m.prebuiltObjects) kernel objects prebuilt)" : ""))
            if let all = m.compileEverythingSeconds {
                lines.append("  aotCompile, cold cache, no prebuilt:  " + String(format: "%.2f s (every kernel file compiled)", all))
            }
            lines.append("  aotCompile max-autotune, cold cache:  " + s(m.compileAutotuneSeconds, "%.2f s"))
            if let f = m.fresh {
                lines.append("  in a fresh process (batch 1; the median of \(m.freshProcesses) by first-run ratio):")
                lines.append(String(format: "    aotLoad %.2f ms; first run %.2f ms; steady median %.2f ms (first/steady %.2f×)",
                                    f.loadMilliseconds, f.firstRunMilliseconds, f.steadyMedianMilliseconds,
                                    f.firstRunRatio))
                lines.append(String(format: "    peak RSS %.1f MB = weights %.1f MB + %.1f MB (at start %.1f MB, after aotLoad %.1f MB)",
                                    Double(f.peakResidentBytes) / 1e6, Double(m.weightsBytes) / 1e6,
                                    Double(f.peakResidentBytes - m.weightsBytes) / 1e6, Double(f.baselineResidentBytes) / 1e6,
                                    Double(f.loadedResidentBytes) / 1e6))
            } else {
                lines.append("  fresh-process load/first run/peak memory: not measured")
            }
            if let c = m.cHost {
                lines.append("  from a plain C host (dlopen, batch 1):")
                lines.append(String(format: "    load %.2f ms; first run %.2f ms; steady median %.2f ms",
                                    c.loadMilliseconds, c.firstRunMilliseconds, c.steadyMedianMilliseconds))
                lines.append(String(format: "    peak RSS %.1f MB = weights %.1f MB + %.1f MB (at start %.1f MB, after load %.1f MB)",
                                    Double(c.peakResidentBytes) / 1e6, Double(m.weightsBytes) / 1e6,
                                    Double(c.peakResidentBytes - m.weightsBytes) / 1e6, Double(c.baselineResidentBytes) / 1e6,
                                    Double(c.loadedResidentBytes) / 1e6))
            }
        }
        return lines.joined(separator: "\n")
    }

    private func row(_ cells: [String]) -> String {
        let widths = [9, 6, 9, 10, 9, 8, 8, 5]
        return zip(cells, widths).enumerated().map { i, cw in
            let (cell, w) = cw
            let pad = String(repeating: " ", count: max(w - cell.count, 0))
            return i < 3 ? cell + pad : pad + cell
        }.joined(separator: "  ")
    }
}
