import Foundation

/// The scratch folders of recipe programs being built and run (`$TMPDIR/kiln-recipe-<UUID>/`),
/// so an interrupted runner removes them before it exits: its workers' own cleanup never runs.
final class ScratchFolders: @unchecked Sendable {
    static let shared = ScratchFolders()
    private let folders = Locked<Set<String>>([])

    /// Creates a new scratch folder and registers it.
    func create() throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("kiln-recipe-\(UUID().uuidString)").path
        folders.withLock { _ = $0.insert(path) }
        do {
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        } catch {
            folders.withLock { _ = $0.remove(path) }
            throw error
        }
        return path
    }

    /// Removes `path` and forgets it.
    func remove(_ path: String) {
        try? FileManager.default.removeItem(atPath: path)
        folders.withLock { _ = $0.remove(path) }
    }

    /// Removes every registered folder (the runner is about to exit).
    func removeAll() {
        for path in folders.withLock({ $0 }) { remove(path) }
    }
}
