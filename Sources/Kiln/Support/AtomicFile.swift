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
        try replace(destination, durable: durable) { fd throws(AtomicFileError) in
            let handle = FileHandle(fileDescriptor: fd, closeOnDealloc: false)
            do {
                try body(handle)
            } catch {
                throw AtomicFileError(destination, .write, reason: reason(of: error))
            }
        }
    }

    /// Copies the file at `source` to `destination` (file mode included).
    public static func copy(from source: URL, to destination: URL, durable: Bool = false) throws(AtomicFileError) {
        let input = open(source.path, O_RDONLY | O_CLOEXEC)
        guard input >= 0 else { throw AtomicFileError(destination, .write, reason: "cannot read \(source.displayPath): \(describe(errno: errno))") }
        defer { close(input) }
        var st = stat()
        guard fstat(input, &st) == 0 else { throw AtomicFileError(destination, .write, reason: describe(errno: errno)) }
        try replace(destination, durable: durable) { fd throws(AtomicFileError) in
            if let failure = copyAll(from: input, to: fd) { throw AtomicFileError(destination, .write, reason: failure) }
            _ = fchmod(fd, st.st_mode & 0o7777)
        }
    }

    /// Renames a finished file at `source` (same filesystem, e.g. a build directory beside
    /// `destination`) over `destination`; `source` is gone afterwards either way.
    public static func move(from source: URL, to destination: URL) throws(AtomicFileError) {
        let place: Place
        do throws(AtomicFileError) {
            place = try Place(destination)
            try place.refuseNonRegularFile()
        } catch {
            unlink(source.path)
            throw error
        }
        defer { place.close() }
        guard renameat(AT_FDCWD, source.path, place.directory, place.name) == 0 else {
            let e = errno
            unlink(source.path)
            throw AtomicFileError(destination, .rename, reason: describe(errno: e))
        }
    }

    /// Throws ``AtomicFileError`` of kind `.notRegularFile` when `destination` exists and is
    /// not a regular file (following symbolic links). Writers check it themselves; callers
    /// with long work before the write (aotCompile) call it first, so they refuse early.
    public static func checkDestination(_ destination: URL) throws(AtomicFileError) {
        let place = try Place(destination)
        defer { place.close() }
        try place.refuseNonRegularFile()
    }

    /// Creates a temporary file in the destination's directory (opened once; the file is
    /// created, renamed and removed relative to it, so the directory's path may be of any
    /// length), lets `fill` write it, then renames it over `destination`; removes it on any
    /// failure.
    private static func replace(_ destination: URL, durable: Bool,
                                fill: (Int32) throws(AtomicFileError) -> Void) throws(AtomicFileError) {
        let place = try Place(destination)
        defer { place.close() }
        try place.refuseNonRegularFile()
        let temporary = temporaryName(for: place.name)
        let fd = openat(place.directory, temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw AtomicFileError(destination, .createTemporary, reason: describe(errno: errno)) }
        do throws(AtomicFileError) {
            try fill(fd)
            if durable, fsync(fd) != 0 { throw AtomicFileError(destination, .sync, reason: describe(errno: errno)) }
        } catch {
            close(fd)
            unlinkat(place.directory, temporary, 0)
            throw error
        }
        // close(2) can report a deferred write error (NFS, quota): the file is not whole.
        guard close(fd) == 0 else {
            let e = errno
            unlinkat(place.directory, temporary, 0)
            throw AtomicFileError(destination, .write, reason: describe(errno: e))
        }
        guard renameat(place.directory, temporary, place.directory, place.name) == 0 else {
            let e = errno
            unlinkat(place.directory, temporary, 0)
            throw AtomicFileError(destination, .rename, reason: describe(errno: e))
        }
        // Makes the rename itself durable; best effort (some filesystems refuse fsync on
        // directories, and the file is in place either way).
        if durable { _ = fsync(place.directory) }
    }

    /// A unique hidden name, short whatever the destination's length (a name of up to 255
    /// bytes still gets a temporary file), keeping the name's start for whoever finds it.
    static func temporaryName(for name: String) -> String {
        var prefix = ""
        for ch in name where prefix.utf8.count + ch.utf8.count <= 24 { prefix.append(ch) }
        return ".\(prefix).tmp-\(getpid())-\(String(UInt32.random(in: 0...UInt32.max), radix: 36))"
    }

    /// Copies `input` to `output` to the end; returns a failure reason or nil.
    private static func copyAll(from input: Int32, to output: Int32) -> String? {
        var buffer = [UInt8](repeating: 0, count: 1 << 20)
        while true {
            let n = buffer.withUnsafeMutableBytes { read(input, $0.baseAddress, $0.count) }
            if n == 0 { return nil }
            if n < 0 {
                if errno == EINTR { continue }
                return describe(errno: errno)
            }
            var done = 0
            while done < n {
                let w = buffer.withUnsafeBytes { Glibc.write(output, $0.baseAddress! + done, n - done) }
                if w < 0 {
                    if errno == EINTR { continue }
                    return describe(errno: errno)
                }
                done += w
            }
        }
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
