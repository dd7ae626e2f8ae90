import Foundation
import Testing

/// Hostile conditions for `kiln run` that need the built binary: a missing recipe path, an
/// unwritable output directory, a 100 MB flood (the runner's own memory), SIGINT mid-recipe
/// and two runs over the same folders at once.
///
/// Covered elsewhere, not repeated here: a single unwritable document (a directory where
/// output/index.html goes: exit code 73, no temporary file) in
/// KilnRecipesTests.RunnerTests.unwritableOutputIsAnOutputError; per-recipe failures
/// (traps, hangs, syntax errors, bad bytes…) in KilnRecipesTests/Hostile.
@Suite struct HostileCLITests {
    /// A temporary folder with `recipes/` and `output/`, removed at the end.
    final class Workspace {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("kiln-hostile-cli-\(UUID().uuidString)").path
        var recipes: String { root + "/recipes" }
        var output: String { root + "/output" }

        init() throws {
            try FileManager.default.createDirectory(atPath: recipes, withIntermediateDirectories: true)
        }

        deinit { try? FileManager.default.removeItem(atPath: root) }

        func write(_ name: String, _ text: String, in folder: String? = nil) throws {
            let dir = folder ?? recipes
            try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
            try text.write(toFile: dir + "/" + name, atomically: true, encoding: .utf8)
        }

        func read(_ name: String) -> String? {
            FileManager.default.contents(atPath: output + "/" + name).map { String(decoding: $0, as: UTF8.self) }
        }

        func temporaryFiles() -> [String] {
            ((try? FileManager.default.contentsOfDirectory(atPath: output)) ?? []).filter { $0.contains(".tmp-") }
        }

        /// Starts `kiln args…` with stdout and stderr going to `log`.
        func start(_ args: [String], log: String, environment: [String: String] = [:]) throws -> Process {
            let p = Process()
            p.executableURL = Kiln.executable
            p.arguments = args
            var env = ProcessInfo.processInfo.environment
            for (k, v) in environment { env[k] = v }
            p.environment = env
            _ = FileManager.default.createFile(atPath: log, contents: nil)
            let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: log))
            p.standardOutput = handle
            p.standardError = handle
            try p.run()
            return p
        }
    }

    /// Whether `pid` still runs (a zombie awaiting its reaper counts as gone).
    static func isRunning(_ pid: Int32) -> Bool {
        let stat = (try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8)) ?? ""
        return !stat.isEmpty && !stat.contains(") Z ")
    }

    /// Waits until `condition` holds, polling every 20 ms, for at most `seconds`.
    static func wait(_ seconds: Double, until condition: () -> Bool) -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if condition() { return true }
            usleep(20_000)
        }
        return condition()
    }

    @Test func missingRecipePathIsBadInput() throws {
        let w = try Workspace()
        let r = try Kiln.run(["run", w.root + "/nope.md", "--output", w.output])
        #expect(r.status == 65)
        #expect(r.output == "error: \(w.root)/nope.md: no such file or directory\nSuggested fix: pass a recipe file or a folder of recipes (default: recipes/).\n")
        #expect(!FileManager.default.fileExists(atPath: w.output))
    }

    @Test func unwritableOutputDirectoryFailsBeforeRunningAnything() throws {
        let w = try Workspace()
        try w.write("a.md", "# A\n\n```swift\nprint(\"a\")\n```\n")
        // A file where the output directory should be (root ignores permission bits, so a
        // read-only directory would not stop this test's writes).
        try "not a directory\n".write(toFile: w.output, atomically: true, encoding: .utf8)
        let r = try Kiln.run(["run", w.recipes, "--output", w.output])
        #expect(r.status == 73)
        #expect(r.output == "error: output directory \(w.output): it is a file, not a directory\nSuggested fix: pass --output a writable directory (or make \(w.output) one).\n")
        #expect(try String(contentsOfFile: w.output, encoding: .utf8) == "not a directory\n")
        #expect(try FileManager.default.contentsOfDirectory(atPath: w.root).sorted() == ["output", "recipes"])
    }

    @Test func hundredMegabytesOfOutputKeepTheRunnerSmall() throws {
        let w = try Workspace()
        try w.write("flood.md", """
            # Flood

            ```swift
            let chunk = [UInt8](repeating: UInt8(ascii: "x"), count: 1 << 20)
            for _ in 0..<100 { chunk.withUnsafeBytes { _ = write(1, $0.baseAddress, $0.count) } }
            print("done")
            ```

            ```swift
            usleep(500_000)
            print("next")
            ```

            """)
        let p = try w.start(["run", w.recipes, "--output", w.output, "--no-times"], log: w.root + "/log")
        // The runner's peak resident memory, polled until it exits (the second block gives
        // the poll time to see the peak after the flood).
        var peakKB = 0, readings = 0
        while p.isRunning {
            let status = (try? String(contentsOfFile: "/proc/\(p.processIdentifier)/status", encoding: .utf8)) ?? ""
            if let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") }),
               let kb = Int(line.split(separator: " ").dropFirst().first ?? "") {
                peakKB = max(peakKB, kb)
                readings += 1
            }
            usleep(20_000)
        }
        p.waitUntilExit()
        #expect(p.terminationStatus == 0, "\(String(describing: try? String(contentsOfFile: w.root + "/log", encoding: .utf8)))")
        #expect(readings > 10)
        // 1 MB and a 64 KiB tail kept per block; the other 99 MB must never have been held.
        #expect(peakKB > 0 && peakKB < 80_000, "kiln's peak RSS \(peakKB) kB")
        let document = w.read("flood.md") ?? ""
        // The first MiB, a note, the last 64 KiB (which end with "done").
        #expect(document.contains("x\n… output truncated (\((100 << 20) + 5 - (1 << 20) - 65_536) bytes dropped)\nxxx"))
        #expect(document.contains("xxxdone\n```"))
        #expect(document.contains("```text\nnext\n```"))
        #expect(document.utf8.count < (1 << 20) + 65_536 + 2000)
    }

    /// Decision: the recipe program's scratch folder (`$TMPDIR/kiln-recipe-<UUID>/`: the
    /// generated source and executable) is removed on SIGINT and SIGTERM too, after the
    /// program is killed.
    @Test(arguments: [SIGINT, SIGTERM])
    func interruptLeavesNoScratchFolder(signal: Int32) throws {
        let w = try Workspace()
        let tmp = w.root + "/tmp", marker = w.root + "/started"
        try FileManager.default.createDirectory(atPath: tmp, withIntermediateDirectories: true)
        try w.write("slow.md", "# Slow\n\n```swift\ntry \"x\".write(toFile: \"\(marker)\", atomically: true, encoding: .utf8)\nsleep(300)\n```\n")
        let p = try w.start(["run", w.recipes, "--output", w.output], log: w.root + "/log", environment: ["TMPDIR": tmp])
        defer { if p.isRunning { kill(p.processIdentifier, SIGKILL) } }
        #expect(Self.wait(120) { FileManager.default.fileExists(atPath: marker) }, "the block never started")
        let during = try FileManager.default.contentsOfDirectory(atPath: tmp)
        #expect(during.contains { $0.hasPrefix("kiln-recipe-") }, "\(during)")
        kill(p.processIdentifier, signal)
        p.waitUntilExit()
        #expect(p.terminationStatus == 128 + signal)
        let after = try FileManager.default.contentsOfDirectory(atPath: tmp)
        #expect(after == [], "\(after)")
    }

    @Test func sigintMidRecipeKillsItsProcessesAndKeepsEveryDocumentWhole() throws {
        let w = try Workspace()
        let marker = w.root + "/started"
        try w.write("a.md", "# A\n\n```swift\nprint(\"a\")\n```\n")
        // b's block starts a grandchild in its group and one in a group of its own, says so
        // in `marker`, then sleeps: SIGINT arrives while it sleeps.
        try w.write("b.md", """
            # B

            ```swift
            let p = Process()
            p.executableURL = URL(fileURLWithPath: "/bin/sleep")
            p.arguments = ["300"]
            try p.run()
            var pid: pid_t = 0
            let argv: [UnsafeMutablePointer<CChar>?] = [strdup("sleep"), strdup("300"), nil]
            precondition(posix_spawn(&pid, "/bin/sleep", nil, nil, argv, environ) == 0)
            try "\\(getpid()) \\(pid) \\(p.processIdentifier)".write(toFile: "\(marker)", atomically: true, encoding: .utf8)
            sleep(300)
            ```

            """)
        for name in ["b.md", "b.html", "b.swift", "b.source.md"] { try w.write(name, "previous \(name)\n", in: w.output) }
        let log = w.root + "/log"
        let p = try w.start(["run", w.recipes, "--output", w.output, "--no-times", "--jobs", "1"], log: log)
        defer { if p.isRunning { kill(p.processIdentifier, SIGKILL) } }
        #expect(Self.wait(120) { FileManager.default.fileExists(atPath: marker) }, "b's block never started")
        let pids = ((try? String(contentsOfFile: marker, encoding: .utf8)) ?? "").split(separator: " ").compactMap { Int32($0) }
        try #require(pids.count == 3)
        #expect(pids.allSatisfy(Self.isRunning))
        kill(p.processIdentifier, SIGINT)
        p.waitUntilExit()

        #expect(p.terminationReason == .exit && p.terminationStatus == 130)
        let text = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
        #expect(text.hasPrefix("PASS \(w.recipes)/a.md ("))
        #expect(text.hasSuffix("\nkiln: interrupted by SIGINT: stopped 1 running recipe(s) and killed their processes. Finished recipes' documents are kept; unfinished recipes keep their previous documents; the gallery and the cache were not updated. Exit code 130.\n"), "\(text)")
        // The recipe program and both grandchildren are gone.
        #expect(Self.wait(2) { !pids.contains(where: Self.isRunning) }, "still running: \(pids.filter(Self.isRunning))")
        // a's documents are whole; b's are the previous ones; no temporary file.
        let a = w.read("a.md") ?? ""
        #expect(a.hasPrefix("<!-- generated from \(w.recipes)/a.md by kiln run; do not edit -->\n") && a.contains("```text\na\n```"))
        #expect(a.hasSuffix("[Download Jupyter notebook: a.ipynb](a.ipynb)\n"))
        for name in ["b.md", "b.html", "b.swift", "b.source.md"] { #expect(w.read(name) == "previous \(name)\n") }
        #expect(w.temporaryFiles().isEmpty)
    }

    @Test func twoConcurrentRunsNeverInterleaveADocument() throws {
        let w = try Workspace()
        // Each block prints ~300 kB tagged with its run (KILN_TEST_RUN reaches the recipe
        // programs through kiln's environment).
        let names = ["p1", "p2", "p3"]
        for name in names {
            try w.write(name + ".md", """
                # \(name)

                ```swift
                let run = ProcessInfo.processInfo.environment["KILN_TEST_RUN"] ?? "?"
                for i in 0..<20_000 { print("run \\(run) line \\(i)") }
                ```

                """)
        }
        let runs = ["A", "B"]
        let processes = try runs.map { run in
            try w.start(["run", w.recipes, "--output", w.output, "--jobs", "2", "--force", "--no-times"],
                        log: w.root + "/log-\(run)", environment: ["KILN_TEST_RUN": run])
        }
        for p in processes { p.waitUntilExit() }
        for (run, p) in zip(runs, processes) {
            #expect(p.terminationStatus == 0, "\(String(describing: try? String(contentsOfFile: w.root + "/log-\(run)", encoding: .utf8)))")
        }
        for name in names {
            // One complete document from one run: the header, all 20 000 lines of one run in
            // order, none of the other's, the closing links.
            let document = w.read(name + ".md") ?? ""
            let tags = Set(runs.filter { document.contains("run \($0) line ") })
            #expect(tags.count == 1, "\(name).md holds lines of runs \(tags)")
            let run = tags.first ?? "?"
            let lines = (0..<20_000).map { "run \(run) line \($0)" }.joined(separator: "\n")
            #expect(document.hasPrefix("<!-- generated from \(w.recipes)/\(name).md by kiln run; do not edit -->\n"))
            #expect(document.contains("```text\n" + lines + "\n```\n"))
            #expect(document.hasSuffix("[Download Jupyter notebook: \(name).ipynb](\(name).ipynb)\n"))
            let html = w.read(name + ".html") ?? ""
            #expect(Set(runs.filter { html.contains("run \($0) line ") }).count == 1 && html.hasSuffix("</html>\n"))
        }
        #expect((w.read("index.md") ?? "").contains("| [p3](p3.md) | passed |"))
        let manifest = try JSONSerialization.jsonObject(with: Data((w.read(".kiln-cache.json") ?? "").utf8)) as? [String: Any]
        #expect((manifest?["recipes"] as? [String: Any])?.count == 3)
        #expect(w.temporaryFiles().isEmpty)
    }
}
