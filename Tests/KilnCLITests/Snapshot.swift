import Foundation
import Testing

/// Snapshot files in `Snapshots/` beside this file. A missing snapshot, or a run with
/// `KILN_RECORD_SNAPSHOTS=1`, records the file and fails the test, so recording is never
/// silently green.
enum Snapshot {
    static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Snapshots")

    static func assertMatches(_ actual: String, named name: String, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let url = directory.appendingPathComponent(name + ".txt")
        let record = ProcessInfo.processInfo.environment["KILN_RECORD_SNAPSHOTS"] == "1"
        guard !record, let expected = try? String(contentsOf: url, encoding: .utf8) else {
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            try actual.write(to: url, atomically: true, encoding: .utf8)
            Issue.record("recorded snapshot \(url.lastPathComponent); re-run the tests", sourceLocation: sourceLocation)
            return
        }
        #expect(actual == expected, "output differs from snapshot \(url.path)", sourceLocation: sourceLocation)
    }
}
