import Foundation
import Kiln

/// The scratch folders of recipe programs being built and run
/// (`$TMPDIR/kiln-recipe-<pid>-<start>-<random>/`): registered with ``TemporaryFolders`` so an
/// interrupted runner removes them before it exits (its workers' own cleanup never runs), and
/// named after the runner so the next runner removes those a killed one left behind.
enum ScratchFolders {
    static let prefix = "kiln-recipe"

    /// Creates a new scratch folder and registers it.
    static func create() throws -> String { try TemporaryFolders.shared.create(prefix: prefix).path }

    /// Removes `path` and forgets it.
    static func remove(_ path: String) { TemporaryFolders.shared.remove(path) }

    /// Removes every registered folder (the runner is about to exit).
    static func removeAll() { TemporaryFolders.shared.removeAll() }

    /// Removes the scratch folders of runners that died without cleaning up.
    static func sweepAbandoned() { TemporaryFolders.sweepAbandoned(prefix: prefix) }
}
