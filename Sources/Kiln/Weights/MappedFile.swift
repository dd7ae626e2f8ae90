import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// A whole file mapped read-only (`PROT_READ`, `MAP_PRIVATE`); unmapped when the last
/// reference goes away. Tensors that borrow from the map keep it alive as their owner.
/// ``init(copying:url:)`` holds an in-memory image instead (a heap copy, freed the same way).
final class MappedFile: @unchecked Sendable {
    /// Why a file could not be mapped.
    enum Failure: Error, Equatable {
        case notFound
        case unreadable(String)
    }

    let url: URL
    /// The file's bytes (empty, with a nil base, for an empty file).
    let bytes: UnsafeRawBufferPointer

    var count: Int { bytes.count }
    /// True when `bytes` is a heap copy (deallocated) rather than a map (unmapped).
    private let isHeapCopy: Bool

    init(url: URL) throws(Failure) {
        self.url = url
        isHeapCopy = false
        let path = url.path
        var st = stat()
        guard stat(path, &st) == 0 else {
            let e = errno
            if e == ENOENT || e == ENOTDIR { throw .notFound }
            throw .unreadable(MappedFile.describe(errno: e))
        }
        // Check before open(2): opening a FIFO for reading would block.
        guard (st.st_mode & S_IFMT) == S_IFREG else {
            throw .unreadable((st.st_mode & S_IFMT) == S_IFDIR ? "it is a directory" : "it is not a regular file")
        }
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else {
            let e = errno
            if e == ENOENT { throw .notFound }
            throw .unreadable(MappedFile.describe(errno: e))
        }
        defer { close(fd) }
        guard fstat(fd, &st) == 0 else { throw .unreadable(MappedFile.describe(errno: errno)) }
        guard st.st_size >= 0, let size = Int(exactly: st.st_size) else { throw .unreadable("bad file size \(st.st_size)") }
        if size == 0 {
            bytes = UnsafeRawBufferPointer(start: nil, count: 0)
            return
        }
        guard let p = mmap(nil, size, PROT_READ, MAP_PRIVATE, fd, 0),
              p != UnsafeMutableRawPointer(bitPattern: -1) else {
            throw .unreadable("mmap failed: " + MappedFile.describe(errno: errno))
        }
        bytes = UnsafeRawBufferPointer(start: UnsafeRawPointer(p), count: size)
    }

    /// Holds a copy of `data` as if it were the mapped file `url` (which is not read).
    /// The copy is exactly `data.count` bytes, so a read past it is caught by ASan.
    init(copying data: Data, url: URL) {
        self.url = url
        isHeapCopy = true
        guard !data.isEmpty else {
            bytes = UnsafeRawBufferPointer(start: nil, count: 0)
            return
        }
        let p = UnsafeMutableRawPointer.allocate(byteCount: data.count, alignment: 16)
        data.copyBytes(to: p.assumingMemoryBound(to: UInt8.self), count: data.count)
        bytes = UnsafeRawBufferPointer(start: UnsafeRawPointer(p), count: data.count)
    }

    deinit {
        if let base = bytes.baseAddress {
            if isHeapCopy {
                base.deallocate()
            } else {
                munmap(UnsafeMutableRawPointer(mutating: base), bytes.count)
            }
        }
    }

    static func describe(errno e: Int32) -> String {
        guard let s = strerror(e) else { return "errno \(e)" }
        return String(cString: s)
    }
}
