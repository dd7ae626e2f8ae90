import Foundation
import Kiln
import KilnTestSupport
import Testing

/// Runs the built `kiln` executable (it sits beside the test bundle) and checks what a
/// person sees: output, exit codes, `--help` snapshots.
@Suite struct CLITests {
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("shared/fixtures")

    @Test func inferReproducesPyTorchLogits() throws {
        let weights = Self.fixtures.appendingPathComponent("resnet18.safetensors").path
        let cases = Self.fixtures.appendingPathComponent("resnet18_cases.safetensors").path
        guard FileManager.default.fileExists(atPath: weights) else {
            print("skipping inferReproducesPyTorchLogits: \(weights) not found"); return
        }
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("kiln-cli-\(UUID().uuidString).safetensors")
        defer { try? FileManager.default.removeItem(at: out) }
        let r = try Kiln.run(["infer", "--model", "resnet18", "--weights", weights, "--input", "\(cases):input_b3", "--output", out.path])
        #expect(r.status == 0, "\(r.output)")
        #expect(r.output.contains("logits: [3, 1000]"))
        #expect(r.output.contains("[2] top-5: "))
        #expect(r.output.contains("time: "))
        // The written `logits` equal PyTorch's within 1e-4 · max|reference|.
        let got = try SafetensorsFile(contentsOf: out).tensor(named: "logits")
        let want = try SafetensorsFile(contentsOf: URL(fileURLWithPath: cases)).tensor(named: "logits_b3")
        let c = got.compare(to: want, rtol: 0, atol: 1e-4 * want.maxAbs)
        #expect(c.isClose, "\(c)")
    }

    @Test func inputWithSeveralTensorsListsThem() throws {
        let cases = Self.fixtures.appendingPathComponent("resnet18_cases.safetensors").path
        guard FileManager.default.fileExists(atPath: cases) else { print("skipping: \(cases) not found"); return }
        let r = try Kiln.run(["infer", "--input", cases])
        #expect(r.status == 64)
        #expect(r.output.contains("holds 10 tensors: avgpool_b1, input_b1"))
        #expect(r.output.contains("Suggested fix: pick one with --input \(cases):input_b1"))
    }

    @Test func errorsHaveOneLineAndAnExitCodePerClass() throws {
        let missing = try Kiln.run(["infer", "--input", "/nonexistent/x.safetensors"])
        #expect(missing.status == 65)
        #expect(missing.output.hasPrefix("error: safetensors file not found: /nonexistent/x.safetensors"))
        let model = try Kiln.run(["infer", "--model", "resnet19", "--input", "/nonexistent/x.safetensors"])
        #expect(model.status == 65)
        #expect(model.output.contains("unknown model \"resnet19\""))
        #expect(model.output.contains("Suggested fix: use one of resnet18, resnet34, resnet50"))
        let usage = try Kiln.run(["infer", "--batch", "0"])
        #expect(usage.status == 64)
        #expect(usage.output.contains("--batch must be at least 1"))
        let flag = try Kiln.run(["infer", "--no-such-flag"])
        #expect(flag.status == 64)
    }

    /// export → compile → inspect, the library named by a bare file name in the working
    /// directory (dlopen alone would search the system's library path for `m.so`).
    @Test func libraryInTheWorkingDirectoryLoadsByBareName() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("kiln-cli-bare-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let export = try Kiln.run(["export", "--model", "resnet18", "--image-size", "32", "--dynamic-batch", "1...2",
                                   "--output", dir.appendingPathComponent("m.kep").path])
        try #require(export.status == 0, "\(export.output)")
        let compile = try Kiln.run(["compile", "m.kep", "--output", "m.so", "--cache-dir", "cache"], directory: dir)
        try #require(compile.status == 0, "\(compile.output)")
        let inspect = try Kiln.run(["inspect", "m.so"], directory: dir)
        #expect(inspect.status == 0 && inspect.output.contains("resnet18"), "\(inspect.output)")
        // What a deployment must provide: the library's DT_NEEDED, libc at least.
        #expect(inspect.output.split(separator: "\n").contains { $0.hasPrefix("needs: ") && $0.contains("libc.so") },
                "\(inspect.output)")
    }

    /// The zoo's MobileNetV2 and EfficientNet-B0 by name: export (seeded weights), compile, infer.
    @Test func mobileNetAndEfficientNetExportCompileAndInfer() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("kiln-cli-zoo-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        for name in ["mobilenet_v2", "efficientnet_b0"] {
            let export = try Kiln.run(["export", "--model", name, "--image-size", "224", "--dynamic-batch", "1...2", "--output", "\(name).kep"],
                                      directory: dir)
            try #require(export.status == 0, "\(export.output)")
            #expect(export.output.contains("seeded weights"), "\(export.output)")
        }
        let compile = try Kiln.run(["compile", "mobilenet_v2.kep", "--output", "m.so", "--cache-dir", "cache"], directory: dir)
        try #require(compile.status == 0, "\(compile.output)")
        let infer = try Kiln.run(["infer", "--library", "m.so", "--batch", "2", "--output", "y.safetensors"], directory: dir)
        #expect(infer.status == 0 && infer.output.contains("logits: [2, 1000]"), "\(infer.output)")
        let eager = try Kiln.run(["infer", "--model", "efficientnet_b0", "--batch", "1", "--output", "e.safetensors"], directory: dir)
        #expect(eager.status == 0 && eager.output.contains("eager efficientnet_b0"), "\(eager.output)")
    }

    @Test func versionNamesTheBLASCore() throws {
        let r = try Kiln.run(["--version"])
        #expect(r.status == 0)
        #expect(r.output.contains("OpenBLAS core "))
    }

    @Test(arguments: [["--help"], ["run", "--help"], ["verify", "--help"], ["infer", "--help"], ["export", "--help"],
                      ["compile", "--help"], ["inspect", "--help"], ["doctor", "--help"], ["import", "--help"],
                      ["prebuild-kernels", "--help"]])
    func helpMatchesSnapshot(args: [String]) throws {
        let r = try Kiln.run(args)
        #expect(r.status == 0)
        Snapshot.expectMatches(r.output, named: "help-" + args.filter { $0 != "--help" }.joined(separator: "-") + (args.count == 1 ? "kiln" : "") + ".txt")
    }
}

/// The `kiln` binary built beside this test bundle.
enum Kiln {
    static var executable: URL {
        let exe = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
        var dir = exe.deletingLastPathComponent()
        // The bundle may be a directory (…/KilnPackageTests.xctest/…) on some toolchains.
        while !FileManager.default.fileExists(atPath: dir.appendingPathComponent("kiln").path), dir.path != "/" {
            dir = dir.deletingLastPathComponent()
        }
        return dir.appendingPathComponent("kiln")
    }

    /// Runs kiln with stdout and stderr merged; returns its exit status and output.
    static func run(_ args: [String], environment: [String: String] = [:], directory: URL? = nil) throws -> (status: Int32, output: String) {
        let p = Process()
        p.executableURL = executable
        p.arguments = args
        if let directory { p.currentDirectoryURL = directory }
        var env = ProcessInfo.processInfo.environment
        env["COLUMNS"] = "100"
        for (k, v) in environment { env[k] = v }
        p.environment = env
        let pipe = Pipe()
        p.standardOutput = pipe
        p.standardError = pipe
        try p.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return (p.terminationStatus, String(decoding: data, as: UTF8.self))
    }
}
