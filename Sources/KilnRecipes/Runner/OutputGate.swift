import Foundation

/// The process-wide lock around writing a recipe's set of documents (and the gallery).
///
/// An interrupt takes it and never gives it back before exiting, so a SIGINT never lands
/// between the renames of one recipe's files: each recipe keeps either all of its previous
/// documents or all of its new ones, and no temporary file is left behind. Writes are small
/// and few, so serialising them across jobs costs nothing measurable.
enum OutputGate {
    private static let lock = NSLock()

    /// Runs `body` holding the gate.
    static func withLock<R>(_ body: () throws -> R) rethrows -> R {
        lock.lock()
        defer { lock.unlock() }
        return try body()
    }

    /// Takes the gate for good (the caller is about to exit).
    static func close() {
        lock.lock()
    }
}
