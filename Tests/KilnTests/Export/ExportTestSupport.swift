import Foundation
import Testing
@testable import Kiln

/// Models and helpers shared by the export tests.
enum ExportFixtures {
    /// Seeded models, built once (seeded initialisation is slow in debug builds).
    nonisolated(unsafe) static let seededResNet18 = try! resnet18(weights: .seeded(1))

    /// A small seeded model with every layer type: conv (with bias), batch norm, relu, max
    /// pool, adaptive average pool, flatten, linear.
    static func smallModel(seed: UInt64 = 3) -> Sequential {
        let m = Sequential(Conv2d(3, 4, kernelSize: 3, padding: 1), BatchNorm2d(4), ReLU(),
                           MaxPool2d(kernelSize: 2), AdaptiveAvgPool2d(outputSize: (1, 1)), Flatten(startDim: 1), Linear(4, 2))
        m.assignPaths()
        m.initializeParameters(seed: seed)
        return m
    }

    /// `Dim("batch", min: 2, max: 32)` on dimension 0 of `x`.
    static let batch2to32: DynamicShapes = ["x": [0: Dim("batch", min: 2, max: 32)]]

    /// A fresh temporary directory, removed by the caller.
    static func temporaryDirectory() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("kiln-export-tests-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }
}

/// Compares text against a committed snapshot in `Tests/KilnTests/Snapshots/`. When the
/// file is missing, or `KILN_RECORD_SNAPSHOTS=1`, it writes the file and FAILS the test
/// saying so, so that recording is never silently green.
enum Snapshot {
    static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Snapshots")

    static func expectMatches(_ text: String, named name: String, sourceLocation: SourceLocation = #_sourceLocation) {
        let url = directory.appendingPathComponent(name)
        let record = ProcessInfo.processInfo.environment["KILN_RECORD_SNAPSHOTS"] == "1"
        let contents = text.hasSuffix("\n") ? text : text + "\n"
        guard !record, let stored = try? String(contentsOf: url, encoding: .utf8) else {
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
