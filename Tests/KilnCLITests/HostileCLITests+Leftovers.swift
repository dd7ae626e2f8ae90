import Foundation
import Testing

/// `kiln bench` and `kiln run` leave no scratch folder behind: an interrupted bench removes
/// its cold caches, and folders of a process killed outright (SIGKILL, as in a crash) are
/// removed by the next bench or runner before it starts.
extension HostileCLITests {
    static func benchFolders(in tmp: URL) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: tmp.path)) ?? []).filter { $0.hasPrefix("kiln-bench-cache-") }.sorted()
    }

    /// A scratch folder with a private `$TMPDIR` and a hanging compiler whose processes are
    /// killed, and the folder removed, when the rig goes.
    final class BenchRig {
        let dir: URL, tmp: URL, pids: URL, cc: String

        init() throws {
            dir = try HostileCLITests.scratch()
            tmp = dir.appendingPathComponent("tmp")
            pids = dir.appendingPathComponent("pids")
            try FileManager.default.createDirectory(at: tmp, withIntermediateDirectories: true)
            cc = try HostileCLITests.hangingCompiler(in: dir, pids: pids)
        }

        deinit {
            for pid in HostileCLITests.pids(in: pids) { kill(pid, SIGKILL) }
            try? FileManager.default.removeItem(at: dir)
        }
    }

    /// `kiln bench` with a C compiler that hangs, so the bench sits in its first cold compile.
    static func startBench(_ w: Workspace, tmp: URL, cc: String, log: String, timeout: String = "0") throws -> Process {
        // A small ONNX model: the bench reaches its first compile within a second.
        try w.start(["bench", "--onnx", ONNXCLITests.fixture, "--batches", "1", "--skip-autotune", "--runs", "1", "--warmup", "0"],
                    log: log, environment: ["CC": cc, "TMPDIR": tmp.path, "KILN_CC_TIMEOUT": timeout])
    }

    @Test func benchKilledOutrightLeavesCachesTheNextBenchRemoves() throws {
        let rig = try BenchRig()
        let (dir, tmp, pids, cc) = (rig.dir, rig.tmp, rig.pids, rig.cc)
        let w = try Workspace()
        let first = try Self.startBench(w, tmp: tmp, cc: cc, log: dir.appendingPathComponent("log1").path)
        defer { if first.isRunning { kill(first.processIdentifier, SIGKILL) } }
        #expect(Self.wait(120) { !Self.pids(in: pids).isEmpty }, "the compiler never started")
        kill(first.processIdentifier, SIGKILL)
        // Its compiler outlives it (its own process group); Foundation's wait would too.
        for pid in Self.pids(in: pids) { kill(pid, SIGKILL) }
        first.waitUntilExit()
        let left = Self.benchFolders(in: tmp)
        #expect(left.count == 1, "\(left)")
        #expect(left.allSatisfy { $0.hasPrefix("kiln-bench-cache-\(first.processIdentifier)-") }, "\(left)")

        // The next bench (its compile times out at once) removes the dead bench's folder and its own.
        let second = try Self.startBench(w, tmp: tmp, cc: cc, log: dir.appendingPathComponent("log2").path, timeout: "1")
        second.waitUntilExit()
        let text = (try? String(contentsOfFile: dir.appendingPathComponent("log2").path, encoding: .utf8)) ?? ""
        #expect(second.terminationStatus == 68, "\(text)")
        #expect(Self.benchFolders(in: tmp).isEmpty, "\(Self.benchFolders(in: tmp))")
    }

    @Test(arguments: [SIGINT, SIGTERM])
    func interruptedBenchRemovesItsCaches(signal: Int32) throws {
        let rig = try BenchRig()
        let (dir, tmp, pids, cc) = (rig.dir, rig.tmp, rig.pids, rig.cc)
        let log = dir.appendingPathComponent("log").path
        let w = try Workspace()
        let p = try Self.startBench(w, tmp: tmp, cc: cc, log: log)
        defer { if p.isRunning { kill(p.processIdentifier, SIGKILL) } }
        #expect(Self.wait(120) { !Self.pids(in: pids).isEmpty }, "the compiler never started")
        #expect(Self.benchFolders(in: tmp).count == 1)
        kill(p.processIdentifier, signal)
        p.waitUntilExit()
        let text = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
        #expect(p.terminationReason == .exit && p.terminationStatus == 128 + signal, "\(text)")
        #expect(text.contains("killed the C compiler ("), "\(text)")
        let own = tmp.path + "/kiln-bench-cache-\(p.processIdentifier)-"
        #expect(text.contains(" and removed the build folder\(text.contains("folders") ? "s" : "") " + own), "\(text)")
        #expect(text.contains(" and the temporary folder " + own), "\(text)")
        #expect(Self.wait(2) { Self.pids(in: pids).allSatisfy { !Self.isRunning($0) } })
        #expect(Self.benchFolders(in: tmp).isEmpty, "\(Self.benchFolders(in: tmp))")
    }

    @Test func runnerRemovesScratchFoldersOfDeadRunners() throws {
        let dir = try Self.scratch()
        defer { try? FileManager.default.removeItem(at: dir) }
        let tmp = dir.appendingPathComponent("tmp")
        // A runner that exited without cleaning up: its pid and start time, now gone.
        let p = Process()
        // It must still run while its /proc entry is read (Foundation reaps it at once).
        p.executableURL = URL(fileURLWithPath: "/bin/sleep")
        p.arguments = ["0.5"]
        try p.run()
        let pid = p.processIdentifier
        let stat = (try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8)) ?? ""
        p.waitUntilExit()
        let fields = stat.split(separator: ")").last.map { $0.split(separator: " ") } ?? []
        let start = try #require(fields.count > 19 ? fields[19] : nil, "no start time in /proc/\(pid)/stat")
        let abandoned = tmp.appendingPathComponent("kiln-recipe-\(pid)-\(start)-0123abcd/files")
        let unrelated = tmp.appendingPathComponent("kiln-recipe-notes")
        for folder in [abandoned, unrelated] { try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true) }
        let w = try Workspace()
        try w.write("a.md", "# A\n\n```swift\nprint(1)\n```\n")
        let r = try Kiln.run(["run", w.recipes, "--output", w.output], environment: ["TMPDIR": tmp.path])
        #expect(r.status == 0, "\(r.output)")
        #expect(!FileManager.default.fileExists(atPath: abandoned.deletingLastPathComponent().path))
        #expect(FileManager.default.fileExists(atPath: unrelated.path))
        let left = ((try? FileManager.default.contentsOfDirectory(atPath: tmp.path)) ?? []).filter { $0.hasPrefix("kiln-recipe-") }
        #expect(left == ["kiln-recipe-notes"], "\(left)")
    }
}
