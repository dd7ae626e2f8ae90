import Foundation
import Testing
@testable import KilnRecipes

/// Where the tests find the built Kiln and swiftc.
enum TestEnvironment {
    /// The build directory: the one holding the test bundle (e.g. `.build-runner/debug`).
    static let buildDirectory: String? = {
        var candidates: [String] = []
        if let exe = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe") {
            candidates.append((exe as NSString).deletingLastPathComponent)
            candidates.append(((exe as NSString).deletingLastPathComponent as NSString).deletingLastPathComponent)
        }
        candidates.append(Bundle.main.bundleURL.path)
        candidates.append(Bundle.main.bundleURL.deletingLastPathComponent().path)
        for c in candidates where FileManager.default.fileExists(atPath: c + "/" + KilnBuild.libraryName) {
            return c
        }
        print("Skipping execution tests: \(KilnBuild.libraryName) not found in \(candidates)")
        return nil
    }()

    static let toolchain: SwiftToolchain? = try? SwiftToolchain.locate()

    static var canExecute: Bool { buildDirectory != nil && toolchain != nil }

    static func executor(timeout: Double = 60) -> RecipeExecutor {
        RecipeExecutor(toolchain: toolchain!, kilnBuildDirectory: buildDirectory!, defaultTimeout: timeout)
    }

    /// A fresh temporary directory.
    static func temporaryDirectory() -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("kiln-tests-\(UUID().uuidString)").path
        try! FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }
}

/// Compares `text` with `Snapshots/<name>`; records it (and fails) when missing or when
/// `KILN_RECORD_SNAPSHOTS=1`.
func assertSnapshot(_ text: String, named name: String, sourceLocation: SourceLocation = #_sourceLocation) {
    let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Snapshots")
    let file = directory.appendingPathComponent(name)
    let record = ProcessInfo.processInfo.environment["KILN_RECORD_SNAPSHOTS"] == "1"
    if record || !FileManager.default.fileExists(atPath: file.path) {
        try? FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        try! Data(text.utf8).write(to: file)
        Issue.record("recorded snapshot \(name), re-run", sourceLocation: sourceLocation)
        return
    }
    let expected = String(decoding: try! Data(contentsOf: file), as: UTF8.self)
    #expect(text == expected, "snapshot \(name) differs; set KILN_RECORD_SNAPSHOTS=1 to re-record", sourceLocation: sourceLocation)
}

/// The status of the block at `index`.
func status(_ execution: RecipeExecution, _ index: Int) -> StepStatus { execution.steps[index].status }
