import Foundation
import Kiln
import KilnTestSupport
import Testing

/// `kiln bench`: the JSON report's schema and sanity, the outputs it writes, usage errors.
/// Speed is never asserted; the fast options keep this to a few seconds.
@Suite struct BenchCommandTests {
    /// stdout alone (progress goes to stderr), the exit status and stderr.
    static func run(_ args: [String], environment: [String: String] = [:]) throws -> (status: Int32, stdout: String, stderr: String) {
        let p = Process()
        p.executableURL = Kiln.executable
        p.arguments = args
        var env = ProcessInfo.processInfo.environment
        for (k, v) in environment { env[k] = v }
        p.environment = env
        let out = Pipe(), err = Pipe()
        p.standardOutput = out
        p.standardError = err
        try p.run()
        // Drain stderr concurrently so a chatty child cannot block on a full pipe.
        nonisolated(unsafe) var errData = Data()
        let reader = Thread { errData = err.fileHandleForReading.readDataToEndOfFile() }
        reader.start()
        let outData = out.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        while !reader.isFinished { usleep(1000) }
        return (p.terminationStatus, String(decoding: outData, as: UTF8.self), String(decoding: errData, as: UTF8.self))
    }

    @Test func jsonReportHasTheSchemaAndSaneValues() throws {
        let tmp = FileManager.default.temporaryDirectory.appendingPathComponent("kiln-bench-test-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: tmp, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: tmp) }
        let outputs = tmp.appendingPathComponent("outputs.safetensors")
        // A private cache: the test never depends on (or fills) the user's.
        let r = try Self.run(["bench", "--model", "resnet18", "--batches", "1", "--runs", "2", "--warmup", "0", "--json",
                              "--no-compile-timing", "--skip-autotune", "--sgemm-size", "128", "--fresh-processes", "2", "--outputs", outputs.path],
                             environment: ["KILN_CACHE_DIR": tmp.appendingPathComponent("cache").path])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stderr.contains("bench: "), "progress goes to stderr")
        let object = try JSONSerialization.jsonObject(with: Data(r.stdout.utf8))
        let json = try #require(object as? [String: Any], "stdout must be exactly one JSON object: \(r.stdout)")

        #expect((json["cpu"] as? String)?.isEmpty == false)
        #expect((json["threads"] as? Int ?? 0) >= 1)
        #expect((json["blas_core"] as? String)?.isEmpty == false)
        let peak = try #require(json["sgemm_peak_gflops"] as? Double)
        #expect(peak > 0)

        let results = try #require(json["results"] as? [[String: Any]])
        #expect(results.map { $0["path"] as? String } == ["compiled", "eager"])
        for row in results {
            #expect(row["model"] as? String == "resnet18" && row["batch"] as? Int == 1)
            let median = try #require(row["median_ms"] as? Double), p90 = try #require(row["p90_ms"] as? Double)
            let gflops = try #require(row["gflops"] as? Double)
            #expect(median > 0 && p90 >= median, "\(row)")
            // GFLOP/s is ResNet-18's 3.628 GFLOP over the median (both rounded in the JSON).
            #expect(abs(gflops - 3.628146688 / (median / 1000)) <= 0.05 + 0.01 * gflops, "\(row)")
            #expect(row["runs"] as? Int == 2)
        }

        let models = try #require(json["models"] as? [[String: Any]])
        let m = try #require(models.first)
        #expect(models.count == 1 && m["model"] as? String == "resnet18")
        for key in ["compile_s", "compile_autotune_s"] { #expect(m[key] is NSNull, "\(key) was not measured: null") }
        for key in ["load_ms", "first_run_ms", "steady_ms", "peak_rss_mb", "weights_mb"] {
            #expect((m[key] as? Double ?? 0) > 0, "\(key) in \(m)")
        }
        // The fresh process read every weight, so its peak resident memory holds them.
        #expect(try #require(m["peak_rss_mb"] as? Double) > (try #require(m["weights_mb"] as? Double)))
        #expect(abs((m["weights_mb"] as? Double ?? 0) - 46.8) < 0.2)   // 11.69 M parameters + BN buffers, float32
        // Peak memory comes from the plain C host; the Swift host (which starts with its runtime
        // resident) is reported beside it and peaks higher.
        #expect(m["peak_rss_host"] as? String == "c", "\(m)")
        #expect((m["swift_host_peak_rss_mb"] as? Double ?? 0) > (m["peak_rss_mb"] as? Double ?? .infinity), "\(m)")
        #expect((m["c_host_first_run_ms"] as? Double ?? 0) > 0, "\(m)")
        #expect(m["fresh_processes"] as? Int == 2, "the median of --fresh-processes 2: \(m)")

        // The outputs of the timed runs: compiled and eager agree on the same input.
        let file = try SafetensorsFile(contentsOf: outputs)
        let compiled = try file.tensor(named: "compiled_b1"), eager = try file.tensor(named: "eager_b1")
        #expect(compiled.shape == [1, 1000])
        let c = compiled.compare(to: eager, rtol: 0, atol: 5e-4 * eager.maxAbs)
        #expect(c.isClose, "\(c)")
    }

    @Test func badBatchesAreUsageErrors() throws {
        for bad in ["0", "1,x", ""] {
            let r = try Self.run(["bench", "--batches", bad])
            #expect(r.status == 64, "--batches \(bad): \(r.stderr)")
            #expect(r.stderr.contains("Suggested fix: --batches 1,32"), "\(r.stderr)")
        }
    }

    @Test func helpMatchesSnapshot() throws {
        let r = try Kiln.run(["bench", "--help"])
        #expect(r.status == 0)
        Snapshot.expectMatches(r.output, named: "help-bench.txt")
    }
}
