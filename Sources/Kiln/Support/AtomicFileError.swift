import Foundation

/// Why ``AtomicFile`` could not put a file in place. The destination is untouched and no
/// temporary file is left. Callers wrap it in their own error (`CompileError`,
/// `SafetensorsError`, `RecipeError`) to name what they were writing and how to fix it.
public struct AtomicFileError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The step that failed.
    public enum Kind: Sendable, Equatable {
        /// The temporary file could not be created beside the destination (missing or
        /// read-only directory, a file where a directory should be).
        case createTemporary
        /// Writing or copying the content failed (full disk, I/O error, an error of the body).
        case write
        /// `fsync` of a durable write failed.
        case sync
        /// The rename over the destination failed.
        case rename
        /// The destination exists and is not a regular file (a device, a FIFO, a socket, a
        /// directory, or a symbolic link to one); `reason` says which. Refused before
        /// anything is written: renaming over `/dev/null` would replace the device.
        case notRegularFile
    }

    /// The destination as the caller spelled it (relative paths stay relative).
    public let path: String
    /// The step that failed.
    public let kind: Kind
    /// The operating system's reason, e.g. "No space left on device".
    public let reason: String

    public init(_ destination: URL, _ kind: Kind, reason: String) {
        self.path = destination.displayPath
        self.kind = kind
        self.reason = reason
    }

    /// The reason with the failed step when it is not plain writing:
    /// "cannot create a temporary file in D: Permission denied".
    public var message: String {
        switch kind {
        case .createTemporary:
            let directory = (path as NSString).deletingLastPathComponent
            return "cannot create a temporary file in \(directory.isEmpty ? "." : directory): \(reason)"
        case .write: return reason
        case .sync: return "fsync failed: \(reason)"
        case .rename: return "cannot rename the temporary file into place: \(reason)"
        case .notRegularFile: return "it is not a regular file (\(reason))"
        }
    }

    /// "cannot write PATH: MESSAGE".
    public var description: String { "cannot write \(path): \(message)" }
}
