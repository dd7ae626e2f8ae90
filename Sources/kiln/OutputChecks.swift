import Foundation
import Kiln

/// Checks of an output path made before any work: it must not be one of the command's inputs
/// (the same device and inode, however spelled: `./x`, a hard link, a symlink), and it must
/// be a regular file or absent (the atomic writer renames over it: over `/dev/null` that
/// would replace the device).
enum OutputChecks {
    /// Refuses `output` (given as `flag`) when it is the same file as one of `inputs`
    /// (a usage error naming both), or exists and is not a regular file (an output error).
    /// `example` is a path to suggest instead.
    static func check(_ flag: String, _ output: String?, inputs: [(what: String, path: String?)], example: String) throws {
        guard let output else { return }
        if let id = identity(output) {
            for (what, path) in inputs {
                guard let path, identity(path) == id else { continue }
                throw UsageError("\(flag) \(output) is the same file as \(what) \(path): writing it would destroy the input",
                                 suggestion: "Suggested fix: give \(flag) another file, e.g. \(example)")
            }
        }
        do {
            try AtomicFile.checkDestination(URL(fileURLWithPath: output))
        } catch where error.kind == .notRegularFile {
            throw OutputPathError(error: error, flag: flag)
        } catch {
            // A missing folder and the like are the writer's to report, with its own context.
        }
    }

    /// `path` beside `reference`: the suggested other output.
    static func sibling(_ name: String, of reference: String) -> String {
        let folder = (reference as NSString).deletingLastPathComponent
        return folder.isEmpty ? name : folder + "/" + name
    }

    /// Device and inode of the file at `path` (symlinks followed), nil when absent.
    private static func identity(_ path: String) -> [UInt64]? {
        var st = stat()
        guard stat(path, &st) == 0 else { return nil }
        return [UInt64(st.st_dev), UInt64(st.st_ino)]
    }
}

/// An output path that exists and is not a regular file (a device, a FIFO, a directory).
struct OutputPathError: KilnError {
    let error: AtomicFileError
    let flag: String
    var failureClass: FailureClass { .output }
    var description: String { error.description }
    var suggestion: String? {
        "Suggested fix: give \(flag) the path of a regular file (Kiln writes a temporary file and renames it over the destination, which would replace a device or FIFO)"
    }
}
