import Foundation
import Testing

/// Snapshot files for every test target: `Tests/<Target>/Snapshots/<name>`, found from the
/// calling test file's path. When the file is missing, or `KILN_RECORD_SNAPSHOTS=1`, the
/// text is written and the test FAILS saying so, so that recording is never silently green.
/// A mismatch names the first differing line.
public enum Snapshot {
    /// `Tests/<Target>/Snapshots` for a test file anywhere below `Tests/<Target>/`.
    public static func directory(for filePath: String) -> URL {
        var dir = URL(fileURLWithPath: filePath).deletingLastPathComponent()
        while dir.deletingLastPathComponent().lastPathComponent != "Tests", dir.path != "/" {
            dir = dir.deletingLastPathComponent()
        }
        return dir.appendingPathComponent("Snapshots")
    }

    /// Compares `text` with the snapshot `name` (a file name, extension included).
    public static func expectMatches(_ text: String, named name: String, filePath: String = #filePath,
                                     sourceLocation: SourceLocation = #_sourceLocation) {
        let directory = directory(for: filePath)
        let url = directory.appendingPathComponent(name)
        let record = ProcessInfo.processInfo.environment["KILN_RECORD_SNAPSHOTS"] == "1"
        func terminated(_ s: String) -> String { s.hasSuffix("\n") ? s : s + "\n" }
        let contents = terminated(text)
        guard !record, let stored = (try? String(contentsOf: url, encoding: .utf8)).map(terminated) else {
            do {
                try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
                try contents.write(to: url, atomically: true, encoding: .utf8)
                Issue.record("recorded snapshot \(url.path); check it, commit it and run the test again", sourceLocation: sourceLocation)
            } catch {
                Issue.record("cannot record snapshot \(url.path): \(error)", sourceLocation: sourceLocation)
            }
            return
        }
        guard stored != contents else { return }
        let a = stored.split(separator: "\n", omittingEmptySubsequences: false)
        let b = contents.split(separator: "\n", omittingEmptySubsequences: false)
        let first = zip(a, b).enumerated().first { $0.element.0 != $0.element.1 }?.offset ?? min(a.count, b.count)
        let expected = first < a.count ? String(a[first]) : "<end of file>"
        let actual = first < b.count ? String(b[first]) : "<end of text>"
        Issue.record("""
            text differs from snapshot \(url.path) at line \(first + 1):
              snapshot: \(expected)
              actual:   \(actual)
            (run with KILN_RECORD_SNAPSHOTS=1 to re-record if the change is intended)
            """, sourceLocation: sourceLocation)
    }
}
