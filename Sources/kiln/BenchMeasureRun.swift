import Foundation
import Kiln
import KilnBench

/// The Swift-host side of ``FreshRunMeasurement``: measured in a child
/// (`kiln bench --measure-run LIB`, a hidden option) that holds only the Swift runtime, Kiln
/// and the library.
extension FreshRunMeasurement {
    /// The child's side: load `library`, run batch 1 once (first run), then `runs` more
    /// (steady median), and print this result as one JSON line on stdout.
    static func runInThisProcess(library: String, runs: Int) throws {
        let baseline = ProcessMemory.residentBytes ?? 0
        let x = Tensor.randn([1, 3, 224, 224], seed: 1)
        let (model, loadMs) = try timed { try aotLoad(library) }
        let loaded = ProcessMemory.residentBytes ?? 0
        let first = try timed { try model(x) }.milliseconds
        let steady = try LatencyStatistics.measure(warmup: 0, runs: max(runs, 1)) { _ = try model(x) }
        let result = FreshRunMeasurement(loadMilliseconds: loadMs, firstRunMilliseconds: first,
                                      steadyMedianMilliseconds: steady.median, baselineResidentBytes: baseline, loadedResidentBytes: loaded,
                                      peakResidentBytes: ProcessMemory.peakResidentBytes ?? 0)
        print(String(decoding: try JSONEncoder().encode(result), as: UTF8.self))
    }

    /// The parent's side: runs this executable with `--measure-run library` and reads its
    /// result. The child inherits the environment (OpenBLAS core, thread counts).
    static func runInChild(library: String, runs: Int) throws -> FreshRunMeasurement {
        let exe = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
        let p = Process()
        p.executableURL = exe
        p.arguments = ["bench", "--measure-run", library, "--runs", "\(runs)"]
        let out = Pipe()
        p.standardOutput = out
        try p.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        let text = String(decoding: data, as: UTF8.self)
        guard p.terminationStatus == 0,
              let line = text.split(separator: "\n").last(where: { $0.hasPrefix("{") }),
              let result = try? JSONDecoder().decode(FreshRunMeasurement.self, from: Data(line.utf8)) else {
            throw BenchError.childFailed(status: p.terminationStatus, output: text)
        }
        return result
    }
}

/// A failure of the benchmark itself (not of the model).
enum BenchError: KilnError {
    case childFailed(status: Int32, output: String)

    var failureClass: FailureClass { .internalError }
    var description: String {
        switch self {
        case let .childFailed(status, output):
            "the fresh-process measurement (kiln bench --measure-run) exited with \(status): \(output.suffix(400))"
        }
    }
    var suggestion: String? { "Suggested fix: run `kiln bench --skip-fresh-process` to bench without it, and report this" }
}
