import Foundation

/// Writes files atomically: the content goes to a temporary file in the same directory, which
/// is then renamed over the destination. A reader (or a run killed half-way) sees either the
/// old file or the new one, never a truncated one.
public enum AtomicFile {
    /// Writes `text` as UTF-8 to `path`, creating the parent directory if needed.
    public static func write(_ text: String, to path: String) throws {
        try write(Data(text.utf8), to: path)
    }

    /// Writes `data` to `path`, creating the parent directory if needed.
    public static func write(_ data: Data, to path: String) throws {
        let fm = FileManager.default
        let directory = (path as NSString).deletingLastPathComponent
        let name = (path as NSString).lastPathComponent
        let temporary = ((directory.isEmpty ? "." : directory) as NSString)
            .appendingPathComponent(".\(name).tmp-\(UUID().uuidString.prefix(8))")
        do {
            if !directory.isEmpty { try fm.createDirectory(atPath: directory, withIntermediateDirectories: true) }
            guard fm.createFile(atPath: temporary, contents: data) else {
                throw CocoaError(.fileWriteUnknown)
            }
            guard rename(temporary, path) == 0 else { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO) }
        } catch {
            try? fm.removeItem(atPath: temporary)
            throw RecipeError(.output, "cannot write \(path): \(error.localizedDescription)",
                              suggestion: "Suggested fix: check that the output directory is writable and the disk is not full.")
        }
    }
}
