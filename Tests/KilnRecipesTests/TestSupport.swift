import Foundation
import KilnTestSupport
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

    /// Run options writing into `output` with this test build of Kiln, without times.
    static func runOptions(output: String, identity: String) -> RunOptions {
        var options = RunOptions()
        options.outputDirectory = output
        options.kilnBuildDirectory = buildDirectory!
        options.toolchain = toolchain
        options.buildIdentity = identity
        options.includeTimes = false
        return options
    }

    static func executor(timeout: Double = 60) -> RecipeExecutor {
        RecipeExecutor(toolchain: toolchain!, kilnBuildDirectory: buildDirectory!, defaultTimeout: timeout)
    }

    /// This test process's parent of temporary directories, removed when it exits.
    static let temporaryRoot: String = {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("kiln-tests-\(getpid())").path
        try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        atexit { try? FileManager.default.removeItem(atPath: TestEnvironment.temporaryRoot) }
        return path
    }()

    /// A fresh temporary directory.
    static func temporaryDirectory() -> String {
        let path = temporaryRoot + "/" + UUID().uuidString
        try! FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }
}

/// Compares `text` with `Snapshots/<name>` (see ``Snapshot``).
func assertSnapshot(_ text: String, named name: String, sourceLocation: SourceLocation = #_sourceLocation) {
    Snapshot.expectMatches(text, named: name, sourceLocation: sourceLocation)
}

/// The status of the block at `index`.
func status(_ execution: RecipeExecution, _ index: Int) -> BlockStatus { execution.blocks[index].status }
