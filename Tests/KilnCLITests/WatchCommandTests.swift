import Foundation
import Testing

/// `kiln run --watch` (issue 14 item 7): an edited recipe's document is rewritten, Ctrl-C ends
/// the watch with the interrupt's exit code and nothing left running.
@Suite struct WatchCommandTests {
    /// Waits up to `seconds` for `condition`.
    func wait(_ seconds: Double, _ condition: () -> Bool) -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if condition() { return true }
            Thread.sleep(forTimeInterval: 0.2)
        }
        return condition()
    }

    @Test func editedRecipeIsRunAgainAndCtrlCStops() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("kiln-watch-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir.appendingPathComponent("recipes"), withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let recipe = dir.appendingPathComponent("recipes/w.md")
        try "# W\n\n```swift\nprint(\"first version\")\n```\n".write(to: recipe, atomically: true, encoding: .utf8)
        let document = dir.appendingPathComponent("out/w.md").path
        func documentText() -> String { (try? String(contentsOfFile: document, encoding: .utf8)) ?? "" }

        let p = Process()
        p.executableURL = Kiln.executable
        p.arguments = ["run", "--watch", "--output", "out", "recipes"]
        p.currentDirectoryURL = dir
        let log = dir.appendingPathComponent("log.txt")
        FileManager.default.createFile(atPath: log.path, contents: nil)
        let handle = try FileHandle(forWritingTo: log)
        p.standardOutput = handle
        p.standardError = handle
        try p.run()
        defer { if p.isRunning { kill(p.processIdentifier, SIGKILL) } }

        #expect(wait(180) { documentText().contains("```text\nfirst version\n```") }, "\(documentText())")
        try "# W\n\n```swift\nprint(\"second version\")\n```\n".write(to: recipe, atomically: true, encoding: .utf8)
        #expect(wait(180) { documentText().contains("```text\nsecond version\n```") }, "\(documentText())")
        #expect(p.isRunning, "the watch ended by itself")

        kill(p.processIdentifier, SIGINT)
        #expect(wait(30) { !p.isRunning })
        p.waitUntilExit()
        #expect(p.terminationStatus == 130)
        let output = (try? String(contentsOf: log, encoding: .utf8)) ?? ""
        #expect(output.contains("Watching recipes for changes (Ctrl-C to stop)."), "\(output)")
        #expect(output.contains("interrupted by SIGINT"), "\(output)")
    }
}
