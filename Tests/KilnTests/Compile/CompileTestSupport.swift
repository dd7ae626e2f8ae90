import Foundation
import Testing
@testable import Kiln

/// Shared set-up of the aotCompile tests: one cache directory per test process, and the
/// libraries several tests use, compiled once.
enum CompileFixtures {
    /// A fresh cache directory for this test process, removed when it exits (a run leaves
    /// 1.5-3 GB of libraries there). Leftovers of runs that were killed before they could
    /// remove theirs (their process is gone) are removed first.
    static let cacheDirectory: String = {
        let fm = FileManager.default, tmp = fm.temporaryDirectory, prefix = "kiln-aot-tests-"
        for name in (try? fm.contentsOfDirectory(atPath: tmp.path)) ?? [] where name.hasPrefix(prefix) {
            if let pid = Int32(name.dropFirst(prefix.count)), pid != getpid(), kill(pid, 0) != 0, errno == ESRCH {
                removeTree(tmp.appendingPathComponent(name).path)
            }
        }
        let dir = tmp.appendingPathComponent(prefix + "\(getpid())")
        try? fm.createDirectory(at: dir, withIntermediateDirectories: true)
        atexit { CompileFixtures.removeTree(CompileFixtures.cacheDirectory) }
        return dir.path
    }()

    /// Removes a directory tree; when FileManager cannot (a path inside longer than PATH_MAX,
    /// e.g. left by a run killed during the hostile long-path test), `rm -rf`, which walks it
    /// relative to each parent.
    static func removeTree(_ path: String) {
        if (try? FileManager.default.removeItem(atPath: path)) != nil || !FileManager.default.fileExists(atPath: path) { return }
        let rm = Process()
        rm.executableURL = URL(fileURLWithPath: "/bin/rm")
        rm.arguments = ["-rf", "--", path]
        try? rm.run()
        rm.waitUntilExit()
    }

    /// A scratch directory for one test.
    static func scratch(_ name: String = #function) -> URL {
        let safe = name.filter { $0.isLetter || $0.isNumber }
        let dir = URL(fileURLWithPath: cacheDirectory).appendingPathComponent("scratch-\(safe)-\(UInt32.random(in: 0...UInt32.max))")
        try? FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        return dir
    }

    /// Compile options for tests. No prebuilt kernel objects unless `prebuilt` names a store:
    /// what a test's compile does must not depend on `KILN_KERNEL_OBJECTS` or on a store beside
    /// the test binary.
    static func options(_ output: String? = nil, autotune: Bool = false, keepSource: Bool = false, cache: String? = nil,
                        forced: ConvAlgorithm? = nil, prebuilt: String = "off",
                        log: @escaping @Sendable (String) -> Void = { _ in }) -> AOTCompileOptions {
        var o = AOTCompileOptions(outputPath: output, maxAutotune: autotune, keepSource: keepSource, cacheDirectory: cache ?? cacheDirectory,
                                  forcedAlgorithm: forced, log: log)
        o.prebuiltKernelObjects = prebuilt
        return o
    }

    static let batch = Dim("batch", min: 1, max: 32)

    /// A small seeded ResNet-18 program on 32×32 inputs (fast to compile, tune and run).
    static let smallProgram: ExportedProgram = {
        let net = try! resnet18(weights: .seeded(7))
        return try! export(net, exampleInputs: [Tensor.randn([2, 3, 32, 32], seed: 1)], dynamicShapes: ["x": [0: Dim("batch", min: 1, max: 16)]])
    }()

    /// The small program's library, compiled once.
    static let smallLibrary: String = {
        try! aotCompile(smallProgram, exampleInputs: [Tensor.randn([2, 3, 32, 32], seed: 1)], options: options())
    }()

    /// ResNet-18 with the fixture weights, exported with a dynamic batch, or nil without fixtures.
    static let fixtureProgram: ExportedProgram? = {
        guard let weights = Fixtures.file("resnet18.safetensors", for: "fixture programs") else { return nil }
        let net = try! resnet18(weights: .safetensors(weights))
        return try! export(net, exampleInputs: [Tensor.randn([2, 3, 224, 224], seed: 0)], dynamicShapes: ["x": [0: batch]])
    }()

    /// The fixture program's library, compiled once (heuristic kernel choice).
    static let fixtureLibrary: String? = {
        guard let p = fixtureProgram else { return nil }
        return try! aotCompile(p, exampleInputs: [Tensor.randn([2, 3, 224, 224], seed: 0)], options: options())
    }()

    /// Expects max |Δ| ≤ 5e-4 · max |reference|.
    static func expectMatches(_ got: Tensor, _ want: Tensor, _ what: String, tolerance: Float = 5e-4) {
        let c = got.compare(to: want, rtol: 0, atol: tolerance * want.maxAbs)
        #expect(c.isClose, "\(what): \(c)")
    }
}
