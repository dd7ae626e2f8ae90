import Foundation
import Kiln

/// The recipe runner's documents go through Kiln's ``AtomicFile`` (temporary file beside the
/// destination + rename): a reader, or a run killed half-way, sees either the old document
/// or the new one, never a truncated one. These helpers take paths as the runner spells them,
/// create missing output directories and report failures as `.output` ``RecipeError``s.
extension AtomicFile {
    /// Writes `text` as UTF-8 to `path`, creating the parent directory if needed.
    public static func write(_ text: String, to path: String) throws {
        try write(Data(text.utf8), to: path)
    }

    /// Creates `directory` if needed and checks that a file can be created in it (a probe file,
    /// removed at once: `access(2)` would say yes to root on a read-only mount or tell nothing
    /// about a full disk). Throws an `.output` ``RecipeError`` saying why not.
    public static func checkWritableDirectory(_ directory: String) throws {
        let fm = FileManager.default
        var isDirectory: ObjCBool = false
        let reason: String
        if fm.fileExists(atPath: directory, isDirectory: &isDirectory) && !isDirectory.boolValue {
            reason = "it is a file, not a directory"
        } else if let error = Result(catching: { try fm.createDirectory(atPath: directory, withIntermediateDirectories: true) }).failure {
            reason = "cannot create it: \(error.localizedDescription)"
        } else {
            let probe = (directory as NSString).appendingPathComponent(".kiln-probe.tmp-\(UUID().uuidString.prefix(8))")
            let fd = open(probe, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
            if fd >= 0 {
                close(fd)
                unlink(probe)
                return
            }
            reason = "cannot create a file in it: \(String(cString: strerror(errno)))"
        }
        throw RecipeError(.output, "output directory \(directory): \(reason)",
                          suggestion: "Suggested fix: pass --output a writable directory (or make \(directory) one).")
    }

    /// Writes `data` to `path`, creating the parent directory if needed.
    public static func write(_ data: Data, to path: String) throws {
        let directory = (path as NSString).deletingLastPathComponent
        let reason: String
        do {
            if !directory.isEmpty { try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true) }
            try write(data, to: URL(fileURLWithPath: path))
            return
        } catch let error as AtomicFileError {
            reason = error.message
        } catch {
            reason = AtomicFile.reason(of: error)
        }
        throw RecipeError(.output, "cannot write \(path): \(reason)",
                          suggestion: "Suggested fix: check that the output directory is writable and the disk is not full.")
    }
}

private extension Result {
    var failure: Failure? { if case .failure(let e) = self { return e } else { return nil } }
}
