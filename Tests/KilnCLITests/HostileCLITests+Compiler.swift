import Foundation
import Testing

/// `kiln compile` with a C compiler that hangs: KILN_CC_TIMEOUT bounds it, and SIGINT or
/// SIGTERM kills the compiler's process group and removes the build folder.
extension HostileCLITests {
    /// A fake compiler answering `--version`, whose compiles start a `sleep` (pid appended to
    /// `pids`) and wait for it.
    static func hangingCompiler(in dir: URL, pids: URL) throws -> String {
        let script = dir.appendingPathComponent("hang-cc")
        try Data("""
            #!/bin/sh
            if [ "$1" = "--version" ]; then echo "hang-cc 1.0"; exit 0; fi
            sleep 300 & echo $! >> "\(pids.path)"; wait

            """.utf8).write(to: script)
        return "/bin/sh " + script.path
    }

    static func pids(in file: URL) -> [Int32] {
        ((try? String(contentsOf: file, encoding: .utf8)) ?? "").split(separator: "\n").compactMap { Int32($0) }
    }

    @Test func hangingCompilerTimesOut() throws {
        let dir = try Self.scratch()
        defer { try? FileManager.default.removeItem(at: dir) }
        let pids = dir.appendingPathComponent("pids")
        let cc = try Self.hangingCompiler(in: dir, pids: pids)
        let cache = dir.appendingPathComponent("cache").path
        let start = Date()
        let r = try Kiln.run(["compile", Self.library32.program, "--output", dir.path + "/m.so", "--cache-dir", cache],
                             environment: ["CC": cc, "KILN_CC_TIMEOUT": "1"])
        // Well under the fake compiler's 300 s sleep: Kiln did not wait for it. (Not tighter: a
        // debug build lowering the program on a loaded machine took 74 s once.)
        #expect(Date().timeIntervalSince(start) < 240)
        #expect(r.status == 68)
        let builds = (try? FileManager.default.contentsOfDirectory(atPath: cache + "/build")) ?? []
        #expect(builds.count == 1)
        #expect(r.output == "error: aotCompile: the C compiler (\(cc)) did not finish within 1 s (KILN_CC_TIMEOUT), so Kiln killed it and its process group; generated sources kept in \(cache)/build/\(builds.first ?? "?")\nSuggested fix: check that CC builds C (`sh build.sh` in the kept sources reproduces the build), or raise KILN_CC_TIMEOUT (seconds; 0 means no limit) if the machine is only slow\n")
        #expect(Self.pids(in: pids).allSatisfy { !Self.isRunning($0) })
        #expect(!FileManager.default.fileExists(atPath: dir.path + "/m.so"))
        // Not a number of seconds: a usage error before anything runs.
        let bad = try Kiln.run(["compile", Self.library32.program, "--cache-dir", cache], environment: ["CC": cc, "KILN_CC_TIMEOUT": "soon"])
        #expect(bad.status == 64)
        #expect(bad.output == "error: KILN_CC_TIMEOUT=soon is not a number of seconds\nSuggested fix: KILN_CC_TIMEOUT=300 (seconds; 0 means no limit)\n")
    }

    @Test(arguments: [SIGINT, SIGTERM])
    func signalDuringCompileKillsTheCompilerAndRemovesTheBuildFolder(signal: Int32) throws {
        let dir = try Self.scratch()
        defer { try? FileManager.default.removeItem(at: dir) }
        let pids = dir.appendingPathComponent("pids")
        let cc = try Self.hangingCompiler(in: dir, pids: pids)
        let cache = dir.appendingPathComponent("cache").path
        let log = dir.appendingPathComponent("log").path
        let w = try Workspace()
        let p = try w.start(["compile", Self.library32.program, "--output", dir.path + "/m.so", "--cache-dir", cache],
                            log: log, environment: ["CC": cc])
        defer { if p.isRunning { kill(p.processIdentifier, SIGKILL) } }
        #expect(Self.wait(60) { !Self.pids(in: pids).isEmpty }, "the compiler never started")
        kill(p.processIdentifier, signal)
        p.waitUntilExit()
        let name = signal == SIGINT ? "SIGINT" : "SIGTERM"
        #expect(p.terminationReason == .exit && p.terminationStatus == 128 + signal)
        let text = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
        #expect(text.hasPrefix("kiln: interrupted by \(name): killed the C compiler ("), "\(text)")
        #expect(text.contains(") and removed the build folder \(cache)/build/"), "\(text)")
        #expect(text.hasSuffix(". Nothing was written to the output or the cache. Exit code \(128 + signal).\n"), "\(text)")
        #expect(Self.wait(2) { Self.pids(in: pids).allSatisfy { !Self.isRunning($0) } })
        #expect(((try? FileManager.default.contentsOfDirectory(atPath: cache + "/build")) ?? []).isEmpty)
        #expect(!FileManager.default.fileExists(atPath: dir.path + "/m.so"))
    }
}
