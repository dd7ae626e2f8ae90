import Foundation
#if canImport(Glibc)
import Glibc
#endif

extension LoadedLibrary {
    /// `dlopen(path, flags)`, but never a stale copy of the library.
    ///
    /// glibc's dlopen first looks for an already-loaded object by *name*: when a library
    /// loaded from `path` is still open and the file at `path` has since been replaced
    /// (renamed over, as aotCompile and `kiln compile` do), `dlopen(path)` returns the old
    /// code. So after opening, check that the file now at `path` (its device and inode) is
    /// mapped; when it is not, open it again through a symlink with a unique name, which no
    /// loaded object matches. A library deleted while loaded keeps working (its mapping
    /// holds the inode); loading its path again fails before this (no such file).
    ///
    /// A path without a slash (`model.so`) is opened as `./model.so`: dlopen would otherwise
    /// search the system's library directories for that name instead of the current one.
    static func openFresh(_ path: String, flags: Int32) throws -> UnsafeMutableRawPointer {
        let target = path.contains("/") ? path : "./" + path
        guard let h = dlopen(target, flags) else { throw LoadError.dlopenFailed(path: path, message: lastDLError()) }
        var st = stat()
        guard stat(path, &st) == 0, let mapped = mappedFiles(), !mapped.contains(FileID(st)) else { return h }
        dlclose(h)
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("kiln-load-\(getpid())-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: dir) }
        let alias = dir.appendingPathComponent(URL(fileURLWithPath: path).lastPathComponent)
        do {
            try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
            try FileManager.default.createSymbolicLink(atPath: alias.path, withDestinationPath: URL(fileURLWithPath: path).standardizedFileURL.path)
        } catch {
            throw LoadError.dlopenFailed(path: path, message: "it was replaced while an older copy is loaded, and a fresh alias for it could not be made in \(dir.path): \(error)")
        }
        guard let fresh = dlopen(alias.path, flags) else { throw LoadError.dlopenFailed(path: path, message: lastDLError()) }
        return fresh
    }

    private static func lastDLError() -> String { dlerror().map { String(cString: $0) } ?? "unknown error" }

    /// A file's identity: device (major, minor) and inode.
    struct FileID: Hashable {
        let major: UInt64, minor: UInt64, inode: UInt64

        init(major: UInt64, minor: UInt64, inode: UInt64) {
            self.major = major
            self.minor = minor
            self.inode = inode
        }

        /// glibc's `gnu_dev_major`/`gnu_dev_minor` encoding of `st_dev`.
        init(_ st: stat) {
            let dev = UInt64(st.st_dev)
            self.init(major: ((dev >> 8) & 0xfff) | ((dev >> 32) & ~0xfff), minor: (dev & 0xff) | ((dev >> 12) & ~0xff),
                      inode: UInt64(st.st_ino))
        }
    }

    /// The files mapped into this process (from `/proc/self/maps`: `addr perms offset MAJ:MIN inode path`),
    /// or nil where there is no such file (not Linux).
    static func mappedFiles() -> Set<FileID>? {
        guard let handle = FileHandle(forReadingAtPath: "/proc/self/maps") else { return nil }
        defer { try? handle.close() }
        let text = String(decoding: handle.readDataToEndOfFile(), as: UTF8.self)
        var ids = Set<FileID>()
        for line in text.split(separator: "\n") {
            let fields = line.split(separator: " ", maxSplits: 5, omittingEmptySubsequences: true)
            guard fields.count >= 5, let inode = UInt64(fields[4]), inode != 0 else { continue }
            let dev = fields[3].split(separator: ":")
            guard dev.count == 2, let major = UInt64(dev[0], radix: 16), let minor = UInt64(dev[1], radix: 16) else { continue }
            ids.insert(FileID(major: major, minor: minor, inode: inode))
        }
        return ids
    }
}
