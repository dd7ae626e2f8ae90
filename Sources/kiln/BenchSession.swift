import Foundation
import Kiln
import KilnBench

/// One `kiln bench` run: export, cold-cache compiles, sgemm peak, timings per batch and
/// path, and the fresh-process measurement, collected into a ``BenchReport``.
struct BenchSession {
    let options: BenchCommand
    let batches: [Int]
    /// The cold caches' folders in `$TMPDIR`: `kiln-bench-cache-<pid>-<start>-<random>`.
    static let cachePrefix = "kiln-bench-cache"

    func run() throws -> BenchReport {
        var report = BenchReport()
        let maxBatch = max(batches.last ?? 1, 2)
        let source = try BenchSource(options, maxBatch: maxBatch)
        let (name, weightsLabel, program) = (source.name, source.weightsLabel, source.program)
        benchProgress("\(name) with \(weightsLabel) weights; batches \(batches.map(String.init).joined(separator: ","))")
        for b in batches { _ = try source.inputShape(batch: b) }
        let perImage = try program.flops(batch: 1)
        let weightsBytes = program.stateDict.values.reduce(0) { $0 + $1.count * MemoryLayout<Float>.size }

        // Cold-cache compiles, each in a fresh temporary cache directory (so neither reuses the
        // other's library or autotune winners). The timed library then comes from the
        // max-autotune cache (its batch-1 winners are already there).
        // They are named after this process: a bench that is killed outright leaves them, and
        // the next one removes them (an interrupted one removes its own, see CompileInterrupts).
        TemporaryFolders.sweepAbandoned(prefix: Self.cachePrefix)
        var temporaries: [String] = []
        defer { for t in temporaries { TemporaryFolders.shared.remove(t) } }
        func freshCache() throws -> String {
            let dir = try TemporaryFolders.shared.create(prefix: Self.cachePrefix).path
            temporaries.append(dir)
            return dir
        }
        var compileSeconds: Double?, autotuneSeconds: Double?, compileEverythingSeconds: Double?, prebuiltObjects = 0
        var libraryCache: String? = nil   // nil: the usual cache (KILN_CACHE_DIR or ~/.cache/kiln)
        if !options.noCompileTiming {
            let plainCache = try freshCache()
            benchProgress("aotCompile with a cold cache…")
            let cold = try compile(program, batch: 1, autotune: false, cache: plainCache)
            compileSeconds = cold.milliseconds / 1000
            prebuiltObjects = cold.stages.filter(\.prebuilt).count
            libraryCache = plainCache
            if prebuiltObjects > 0 {
                benchProgress("aotCompile with a cold cache and no prebuilt kernel objects…")
                compileEverythingSeconds = try compile(program, batch: 1, autotune: false, cache: try freshCache(),
                                                       prebuilt: "off").milliseconds / 1000
            }
            if !options.skipAutotune {
                let tunedCache = try freshCache()
                benchProgress("aotCompile max-autotune with a cold cache…")
                autotuneSeconds = try compile(program, batch: 1, autotune: true, cache: tunedCache).milliseconds / 1000
                if options.timeAutotuned { libraryCache = tunedCache }
            }
        }

        let inputFile = try options.inputs.map { try SafetensorsFile(contentsOf: URL(fileURLWithPath: $0)) }
        // One library for every batch, as deployed with a dynamic batch: the default one
        // (heuristic kernels, compiled at batch 1), or with --time-autotuned the max-autotune
        // one (tuned at batch 1, each layer alone: a whole network's timing noise can flip its
        // closest picks). Cached by the compiles above.
        let autotuned = options.timeAutotuned && !options.skipAutotune
        let library = try compile(program, batch: 1, autotune: autotuned, cache: libraryCache).path
        let compiled = try aotLoad(library)
        // Every compiled timing comes before anything that runs OpenBLAS (the eager model, the
        // sgemm peak): OpenBLAS's threads spin for ~0.1 s after each threaded call (and after
        // they start), and on a 2-core machine a spinning thread shares a core with Kiln's
        // worker. A fresh process timed right after a 64³ sgemm, or a batch's compiled run timed
        // right after the previous batch's eager one, measured Kiln at up to its one-thread speed.
        var outputs: [(String, Tensor)] = []
        var eagerInputs: [(batch: Int, x: Tensor, flops: FLOPCount)] = []
        for b in batches {
            let x = try input(batch: b, from: inputFile, program: program)
            let flops = try program.flops(batch: b)
            benchProgress("batch \(b): compiled…")
            var y = Tensor.zeros([1])
            let probeBefore = CoreRoundTrip.measure()
            let c = try LatencyStatistics.measure(warmup: options.warmup, runs: options.runs, budgetSeconds: options.budget) {
                y = try compiled(x)
            }
            report.results.append(.init(model: name, batch: b, path: "compiled", precision: options.precision,
                                        statistics: c, flops: flops, coreRoundTrip: [probeBefore, CoreRoundTrip.measure()]))
            outputs.append(("compiled_b\(b)", y))
            eagerInputs.append((b, x, flops))
        }
        if !options.noEager {
            for (b, x, flops) in eagerInputs {
                benchProgress("batch \(b): eager…")
                var y = Tensor.zeros([1])
                let e = try LatencyStatistics.measure(warmup: options.warmup, runs: options.runs, budgetSeconds: options.budget) {
                    y = try source.eager(x)
                }
                report.results.append(.init(model: name, batch: b, path: "eager", precision: .fp32, statistics: e, flops: flops))
                outputs.append(("eager_b\(b)", y))
            }
        }

        // The peaks, each measured twice and the better kept: on a shared machine one
        // measurement can land in a burst of someone else's work.
        benchProgress("sgemm peak (\(options.sgemmSize)³)…")
        let sgemm = [SGEMMPeak.measure(size: options.sgemmSize), SGEMMPeak.measure(size: options.sgemmSize)]
        report.sgemm = sgemm.max { $0.gflops < $1.gflops }
        if !options.skipFmaPeak {
            benchProgress("FMA peak per precision…")
            let first = FMAPeak.measure(), again = FMAPeak.measure()
            report.fmaPeak = FMAPeak(threads: first.threads, fp32GFLOPS: max(first.fp32GFLOPS, again.fp32GFLOPS),
                                     bf16GFLOPS: max(first.bf16GFLOPS, again.bf16GFLOPS))
        }

        var fresh: FreshRunMeasurement?
        if !options.skipFreshProcess {
            // Several processes, the median reported: one process's first run swings with
            // whatever else the machine does in those milliseconds (measured here: 1.05-3x
            // its steady time from one process to the next on a busy 2-core VM).
            benchProgress("aotLoad, first run and peak memory in \(options.freshProcesses) fresh process(es)…")
            let samples = try (0..<options.freshProcesses).map { _ in try FreshRunMeasurement.runInChild(library: library, runs: options.runs) }
            fresh = samples.sorted { $0.firstRunRatio < $1.firstRunRatio }[samples.count / 2]
        }
        var cHost: FreshRunMeasurement?
        if !options.skipFreshProcess {
            benchProgress("peak memory of a batch-1 run from a plain C host…")
            cHost = try FreshRunMeasurement.measureFromC(library: library, runs: options.runs)
        }
        report.models.append(.init(model: name, weights: weightsLabel,
                                   library: autotuned ? "max-autotune" : "default",
                                   gflopPerImage: Double(perImage.total) / 1e9, weightsBytes: weightsBytes,
                                   compileSeconds: compileSeconds, compileAutotuneSeconds: autotuneSeconds,
                                   compileEverythingSeconds: compileEverythingSeconds, prebuiltObjects: prebuiltObjects, fresh: fresh,
                                   freshProcesses: options.freshProcesses, cHost: cHost))
        if let path = options.outputs {
            try Safetensors.write(outputs, to: URL(fileURLWithPath: path))
            benchProgress("wrote \(path) (\(outputs.map(\.0).joined(separator: ", ")))")
        }
        return report
    }

    /// aotCompile for an example batch `batch` into `cache` (nil: the usual cache).
    private func compile(_ program: ExportedProgram, batch: Int, autotune: Bool, cache: String?, prebuilt: String? = nil) throws -> AOTCompileReport {
        let verbose = options.verbose
        var opts = AOTCompileOptions(maxAutotune: autotune, cacheDirectory: cache, precision: options.precision,
                                     log: { line in if verbose { AOTCompileOptions.standardError(line) } })
        opts.prebuiltKernelObjects = prebuilt
        let report = try aotCompileWithReport(program, exampleInputs: [.randn(try BenchSource.shape(of: program, batch: batch), seed: 0)], options: opts)
        benchProgress(String(format: "aotCompile (example batch %d%@): %@", batch, autotune ? ", max-autotune" : "",
                             report.cached ? "cached" : String(format: "%.2f s, C compiler %.2f s", report.milliseconds / 1000,
                                                                report.compilerMilliseconds / 1000)))
        return report
    }

    /// `x_b<batch>` from `--inputs`, else a seeded random batch.
    private func input(batch b: Int, from file: SafetensorsFile?, program: ExportedProgram) throws -> Tensor {
        let shape = try BenchSource.shape(of: program, batch: b)
        guard let file else { return .randn(shape, seed: UInt64(b)) }
        let x = try file.tensor(named: "x_b\(b)")
        guard x.shape == shape else {
            throw UsageError("--inputs tensor x_b\(b) has shape \(x.shape), expected \(shape)",
                             suggestion: "Suggested fix: write x_b\(b) with shape \(shape), or drop --inputs")
        }
        return x
    }
}
