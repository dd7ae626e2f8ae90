import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Kiln's one way to put a file in place: the content goes to a temporary file in the
/// destination's directory, which is then renamed over the destination. A reader (or a
/// process killed half-way) sees either the old file or the whole new one, never a truncated
/// one; a running process that mapped the old file keeps its pages (a loaded library is
/// never overwritten in place); on failure the temporary file is removed and the destination
/// is untouched.
///
/// The temporary file lives beside the destination because `rename(2)` is only atomic within
/// one filesystem. Its name is unique per call, so concurrent writers of one destination each
/// install a complete file (the last rename wins) and never rename each other's half-written
/// file into place. The parent directory must exist.
///
/// Why not `Data.write(options: .atomic)`: on Linux Foundation stages it in a
/// `TemporaryDirectory.*` folder in /tmp that it never removes.
public enum AtomicFile {
    /// Writes `data` to `destination`.
    ///
    /// - Parameter durable: also `fsync` the file before the rename and its directory after
    ///   it, so the new content survives a power cut (slower; for files a user asked for).
    public static func write(_ data: Data, to destination: URL, durable: Bool = false) throws(AtomicFileError) {
        try write(to: destination, durable: durable) { handle in try handle.write(contentsOf: data) }
    }

    /// Creates a temporary file beside `destination`, lets `body` write it through `handle`
    /// (which `body` must not close), then renames it over `destination`.
    ///
    /// An error `body` throws is reported as an ``AtomicFileError`` of kind `.write` whose
    /// reason is the error's POSIX reason (e.g. "No space left on device") or description.
    public static func write(to destination: URL, durable: Bool = false,
                             body: (FileHandle) throws -> Void) throws(AtomicFileError) {
        try replace(destination, durable: durable) { temporary throws(AtomicFileError) in
            let fd = open(temporary.path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
            guard fd >= 0 else {
                throw AtomicFileError(destination, .createTemporary, reason: describe(errno: errno))
            }
            let handle = FileHandle(fileDescriptor: fd, closeOnDealloc: false)
            do {
                try body(handle)
            } catch {
                close(fd)
                throw AtomicFileError(destination, .write, reason: reason(of: error))
            }
            if durable, fsync(fd) != 0 {
                let e = errno
                close(fd)
                throw AtomicFileError(destination, .sync, reason: describe(errno: e))
            }
            // close(2) can report a deferred write error (NFS, quota): the file is not whole.
            guard close(fd) == 0 else { throw AtomicFileError(destination, .write, reason: describe(errno: errno)) }
        }
    }

    /// Copies the file at `source` to `destination` (file mode included).
    public static func copy(from source: URL, to destination: URL, durable: Bool = false) throws(AtomicFileError) {
        try replace(destination, durable: durable) { temporary throws(AtomicFileError) in
            do {
                try FileManager.default.copyItem(at: source, to: temporary)
            } catch {
                throw AtomicFileError(destination, .write, reason: reason(of: error))
            }
            if durable { try sync(temporary, for: destination) }
        }
    }

    /// Renames a finished file at `source` (same filesystem, e.g. a build directory beside
    /// `destination`) over `destination`; `source` is gone afterwards either way.
    public static func move(from source: URL, to destination: URL) throws(AtomicFileError) {
        guard rename(source.path, destination.path) == 0 else {
            let e = errno
            unlink(source.path)
            throw AtomicFileError(destination, .rename, reason: describe(errno: e))
        }
    }

    /// Makes the temporary file with `make`, then renames it over `destination`; removes it on
    /// any failure.
    private static func replace(_ destination: URL, durable: Bool,
                                make: (URL) throws(AtomicFileError) -> Void) throws(AtomicFileError) {
        let temporary = temporaryURL(for: destination)
        do {
            try make(temporary)
        } catch {
            unlink(temporary.path)
            throw error
        }
        try move(from: temporary, to: destination)
        if durable {
            // Makes the rename itself durable; best effort (some filesystems refuse fsync on
            // directories, and the file is in place either way).
            let directory = destination.deletingLastPathComponent().path
            let fd = open(directory.isEmpty ? "." : directory, O_RDONLY | O_CLOEXEC)
            if fd >= 0 { _ = fsync(fd); close(fd) }
        }
    }

    /// A unique hidden name in the destination's directory.
    static func temporaryURL(for destination: URL) -> URL {
        destination.deletingLastPathComponent()
            .appendingPathComponent(".\(destination.lastPathComponent).tmp-\(getpid())-\(UInt32.random(in: 0...UInt32.max))")
    }

    private static func sync(_ file: URL, for destination: URL) throws(AtomicFileError) {
        let fd = open(file.path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw AtomicFileError(destination, .sync, reason: describe(errno: errno)) }
        defer { close(fd) }
        guard fsync(fd) == 0 else { throw AtomicFileError(destination, .sync, reason: describe(errno: errno)) }
    }

    /// `strerror` of `e`: "No space left on device".
    static func describe(errno e: Int32) -> String {
        guard let s = strerror(e) else { return "errno \(e)" }
        return String(cString: s)
    }

    /// The POSIX reason of a Foundation file error ("No space left on device", "Not a
    /// directory"), else its description: never the whole NSError dump.
    public static func reason(of error: Error) -> String {
        if let e = error as? AtomicFileError { return e.message }
        if let e = error as? POSIXError { return describe(errno: e.code.rawValue) }
        let ns = error as NSError
        if ns.domain == NSPOSIXErrorDomain { return describe(errno: Int32(ns.code)) }
        if let underlying = ns.userInfo[NSUnderlyingErrorKey] as? Error {
            let u = underlying as NSError
            if u.domain == NSPOSIXErrorDomain { return describe(errno: Int32(u.code)) }
        }
        if ns.domain == NSCocoaErrorDomain { return ns.localizedDescription }
        return String(describing: error)
    }
}
