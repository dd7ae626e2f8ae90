import ArgumentParser
import Foundation
import Kiln
import KilnBench

/// `kiln bench`: latency of the compiled library and of the eager model per batch size,
/// effective GFLOP/s against a same-run sgemm peak, cold-cache compile times, and load,
/// first-run and peak-memory figures from a fresh process.
struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Benchmark a model: compiled and eager latency, GFLOP/s, compile, load and memory.",
        discussion: """
            Exports the model with a dynamic batch, compiles it with a cold cache (a fresh \
            temporary KILN cache directory; once plain, once with max-autotune), then times \
            each batch: warm-up runs, then up to --runs timed runs (median and p90), compiled \
            (one library for all batches: the max-autotune one, tuned at batch 1, or the \
            default one with --skip-autotune) and eager. GFLOP/s counts convolution and linear FLOPs from the \
            graph; the sgemm peak is a 2048³ OpenBLAS sgemm on all threads in the same run. \
            aotLoad, the first run after it and the peak resident memory (VmHWM) of a batch-1 \
            run are measured in a fresh child process. Progress goes to stderr; --json prints \
            one JSON object on stdout. Build with -c release: debug builds are far slower. \
            bench/peers.py runs this and ONNX Runtime on the same weights and inputs.
            """
    )

    @OptionGroup var modelOptions: ModelOptions

    @Option(help: "Benchmark this ONNX model instead of a zoo model (named by its file in the report).")
    var onnx: String?

    @Option(help: "Benchmark this torch.export archive (.pt2) instead of a zoo model (its own batch range applies).")
    var pt2: String?

    @Option(help: "Comma-separated batch sizes to time.")
    var batches: String = "1,32"

    @Option(help: "Untimed runs before timing each (batch, path).")
    var warmup: Int = 3

    @Option(help: "Timed runs per (batch, path), fewer when --budget runs out (at least 3).")
    var runs: Int = 30

    @Option(help: "Seconds of timed runs per (batch, path) after which timing stops early.")
    var budget: Double = 10

    @Flag(help: "Skip the max-autotune compile (its cold-cache time is then not measured).")
    var skipAutotune = false

    @Flag(help: "Time the max-autotune library instead of the default one.")
    var timeAutotuned = false

    @Flag(help: "Skip the cold-cache compile timings; libraries come from the usual cache.")
    var noCompileTiming = false

    @Flag(help: "Skip the eager model's timings.")
    var noEager = false

    @Flag(help: "Skip the fresh-process measurement of aotLoad, first run and peak memory.")
    var skipFreshProcess = false

    @Option(help: "Fresh processes that measure aotLoad and the first run; the one with the median first-run/steady ratio is reported.")
    var freshProcesses: Int = 5

    @Option(help: "Arithmetic of the compiled library's convolutions: fp32 or bf16 (the eager rows stay fp32).")
    var precision: Precision = .fp32

    @Flag(help: "Skip the FMA peak measurement (the cores' physical limit per precision).")
    var skipFmaPeak = false

    @Option(help: "Matrix size of the sgemm peak measurement.")
    var sgemmSize: Int = 2048

    @Option(help: "safetensors file with the inputs to time, named x_b<batch> (default: seeded random batches).")
    var inputs: String?

    @Option(help: "Write the last output of each (batch, path) here as <path>_b<batch> (safetensors).")
    var outputs: String?

    @Flag(help: "Print one JSON object on stdout instead of the table.")
    var json = false

    @Flag(help: "Show the compiler's log and AUTOTUNE tables on stderr.")
    var verbose = false

    @Option(help: .hidden)
    var measureRun: String?

    func run() throws {
        try reportingErrors {
            if let measureRun {
                try FreshRunMeasurement.runInThisProcess(library: measureRun, runs: runs)
                return
            }
            let sizes = try Self.parseBatches(batches)
            guard runs >= 1, warmup >= 0, budget > 0, sgemmSize >= 1, freshProcesses >= 1 else {
                throw UsageError("--runs, --sgemm-size, --fresh-processes and --budget must be positive and --warmup not negative",
                                 suggestion: "Suggested fix: --runs 30 --warmup 3 --budget 10 --fresh-processes 5")
            }
            CompileInterrupts.install()
            let report = try BenchSession(options: self, batches: sizes).run()
            print(json ? try report.json() : report.table)
        }
    }

    /// `1,32` → [1, 32] (sorted, unique, each ≥ 1).
    static func parseBatches(_ text: String) throws -> [Int] {
        let parts = text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
        let values = parts.compactMap { Int($0) }
        guard !parts.isEmpty, values.count == parts.count, values.allSatisfy({ $0 >= 1 }) else {
            throw UsageError("--batches \"\(text)\" is not a comma-separated list of batch sizes ≥ 1",
                             suggestion: "Suggested fix: --batches 1,32")
        }
        return Array(Set(values)).sorted()
    }
}

/// Writes a progress line on stderr (stdout carries only the report).
func benchProgress(_ line: String) {
    FileHandle.standardError.write(Data("bench: \(line)\n".utf8))
}
