import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

extension AtomicFile {
    /// A destination as its directory, opened, and its name in it: every step of a write
    /// then works relative to the directory's descriptor (`openat`, `renameat`), so a
    /// directory path of any length works and nothing lands at a truncated path.
    struct Place {
        let directory: Int32
        let name: String
        let destination: URL

        init(_ destination: URL) throws(AtomicFileError) {
            self.destination = destination
            let path = destination.path
            let slash = path.lastIndex(of: "/")
            name = slash.map { String(path[path.index(after: $0)...]) } ?? path
            let folder = slash.map { $0 == path.startIndex ? "/" : String(path[..<$0]) } ?? "."
            guard !name.isEmpty else { throw AtomicFileError(destination, .notRegularFile, reason: "a directory") }
            directory = try Self.openDirectory(folder, for: destination)
        }

        func close() { _ = Glibc.close(directory) }

        /// Refuses an existing destination that is not a regular file: renaming over it would
        /// replace a device node (`/dev/null`), a FIFO or a socket, or fail on a directory.
        func refuseNonRegularFile() throws(AtomicFileError) {
            var st = stat()
            guard fstatat(directory, name, &st, 0) == 0 else { return }   // absent (or a dangling link): fine
            let kind = st.st_mode & S_IFMT
            guard kind != S_IFREG else { return }
            let what = switch kind {
            case S_IFCHR: "a character device"
            case S_IFBLK: "a block device"
            case S_IFIFO: "a FIFO"
            case S_IFSOCK: "a socket"
            case S_IFDIR: "a directory"
            default: "not a file"
            }
            throw AtomicFileError(destination, .notRegularFile, reason: what)
        }

        /// Opens `folder`; past PATH_MAX (ENAMETOOLONG) it walks there one component at a time.
        private static func openDirectory(_ folder: String, for destination: URL) throws(AtomicFileError) -> Int32 {
            let flags = O_RDONLY | O_DIRECTORY | O_CLOEXEC
            var fd = open(folder, flags)
            if fd < 0 && errno == ENAMETOOLONG {
                fd = open(folder.hasPrefix("/") ? "/" : ".", flags)
                for component in folder.split(separator: "/") where fd >= 0 {
                    let next = openat(fd, String(component), flags)
                    let e = errno
                    _ = Glibc.close(fd)
                    fd = next
                    errno = e
                }
            }
            guard fd >= 0 else { throw AtomicFileError(destination, .createTemporary, reason: describe(errno: errno)) }
            return fd
        }
    }
}
