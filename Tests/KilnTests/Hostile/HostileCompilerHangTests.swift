import Foundation
import Testing
@testable import Kiln

/// A C compiler that never finishes: aotCompile gives up after the timeout
/// (`AOTCompileOptions.compilerTimeout`, `KILN_CC_TIMEOUT`), kills the compiler's whole
/// process group (what it started included) and says so.
@Suite struct HostileCompilerHangTests {
    /// Whether `pid` still runs (a zombie counts as gone).
    static func isRunning(_ pid: Int32) -> Bool {
        let stat = (try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8)) ?? ""
        return !stat.isEmpty && !stat.contains(") Z ")
    }

    static func pids(in file: URL) -> [Int32] {
        ((try? String(contentsOf: file, encoding: .utf8)) ?? "").split(separator: "\n").compactMap { Int32($0) }
    }

    @Test(arguments: ["build", "version"])
    func hangingCompilerIsKilledAfterTheTimeout(step: String) throws {
        let s = try HostileToolchainTests.Scene("hang-\(step)")
        let pids = s.dir.appendingPathComponent("pids")
        // The compiler starts a grandchild (as gcc starts cc1) and waits for it.
        let hang = #"sleep 300 & echo $! >> "\#(pids.path)"; wait"#
        let cc = try Hostile.script("hang-cc", in: s.dir, step == "version" ? hang : """
            if [ "$1" = "--version" ]; then echo "hang-cc 1.0"; exit 0; fi
            \(hang)
            """)
        var options = s.options(compiler: cc)
        options.compilerTimeout = 1
        let start = Date()
        let e = Hostile.expectFailure(CompileError.self, .compile, naming: [cc, "did not finish within 1 s"]) { try s.compile(options) }
        #expect(Date().timeIntervalSince(start) < 120) // the compiler would hang 300 s; a loaded CI machine takes tens of seconds for the rest
        guard case let .compilerTimedOut(compiler, seconds, sources)? = e else {
            Issue.record("expected compilerTimedOut, got \(String(describing: e))"); return
        }
        #expect(compiler == cc && seconds == 1)
        if step == "version" {
            #expect(sources == nil)
            #expect(e?.description == "aotCompile: the C compiler (\(cc)) did not finish within 1 s (KILN_CC_TIMEOUT), so Kiln killed it and its process group")
        } else {
            #expect(e?.description == "aotCompile: the C compiler (\(cc)) did not finish within 1 s (KILN_CC_TIMEOUT), so Kiln killed it and its process group; generated sources kept in \(sources ?? "?")")
        }
        let started = Self.pids(in: pids)
        #expect(!started.isEmpty)
        // SIGKILL is delivered asynchronously: on a loaded machine a killed process can take a
        // moment to die.
        let deadline = Date().addingTimeInterval(5)
        while started.contains(where: Self.isRunning) && Date() < deadline { usleep(20_000) }
        #expect(started.allSatisfy { !Self.isRunning($0) }, "still running: \(started.filter(Self.isRunning))")
        s.expectNothingLeft()
    }
}
