import Foundation
import Testing

/// `kiln bench` leaves no cold-cache folder behind: an interrupted bench removes its own, and
/// one killed outright (SIGKILL, as in a crash) leaves them to the next bench, which removes
/// them before it starts.
extension HostileCLITests {
    static func benchFolders(in tmp: URL) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: tmp.path)) ?? []).filter { $0.hasPrefix("kiln-bench-cache-") }.sorted()
    }

    /// `kiln bench` with a C compiler that hangs, so the bench sits in its first cold compile.
    static func startBench(_ w: Workspace, tmp: URL, cc: String, log: String, timeout: String = "0") throws -> Process {
        try w.start(["bench", "--model", "resnet18", "--batches", "1", "--skip-autotune", "--runs", "1", "--warmup", "0"],
                    log: log, environment: ["CC": cc, "TMPDIR": tmp.path, "KILN_CC_TIMEOUT": timeout])
    }

    @Test func benchKilledOutrightLeavesCachesTheNextBenchRemoves() throws {
        let dir = try Self.scratch()
        defer { try? FileManager.default.removeItem(at: dir) }
        let tmp = dir.appendingPathComponent("tmp")
        try FileManager.default.createDirectory(at: tmp, withIntermediateDirectories: true)
        let pids = dir.appendingPathComponent("pids")
        let cc = try Self.hangingCompiler(in: dir, pids: pids)
        defer { for pid in Self.pids(in: pids) { kill(pid, SIGKILL) } }
        let w = try Workspace()
        let first = try Self.startBench(w, tmp: tmp, cc: cc, log: dir.appendingPathComponent("log1").path)
        defer { if first.isRunning { kill(first.processIdentifier, SIGKILL) } }
        #expect(Self.wait(120) { !Self.pids(in: pids).isEmpty }, "the compiler never started")
        kill(first.processIdentifier, SIGKILL)
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
        let dir = try Self.scratch()
        defer { try? FileManager.default.removeItem(at: dir) }
        let tmp = dir.appendingPathComponent("tmp")
        try FileManager.default.createDirectory(at: tmp, withIntermediateDirectories: true)
        let pids = dir.appendingPathComponent("pids")
        let cc = try Self.hangingCompiler(in: dir, pids: pids)
        defer { for pid in Self.pids(in: pids) { kill(pid, SIGKILL) } }
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
}
