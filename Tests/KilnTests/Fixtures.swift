import Foundation
@testable import Kiln

/// The shared PyTorch fixtures (`../shared/fixtures` beside the package, or `KILN_FIXTURES`).
enum Fixtures {
    static let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    static var directory: URL {
        if let dir = ProcessInfo.processInfo.environment["KILN_FIXTURES"] { return URL(fileURLWithPath: dir) }
        return packageRoot.deletingLastPathComponent().appendingPathComponent("shared/fixtures")
    }

    /// The fixture file, or nil after printing why the calling test skips.
    static func file(_ name: String, for test: String = #function) -> URL? {
        let url = directory.appendingPathComponent(name)
        guard FileManager.default.fileExists(atPath: url.path) else {
            print("skipping \(test): fixture \(url.path) not found (set KILN_FIXTURES to its folder)")
            return nil
        }
        return url
    }
}
