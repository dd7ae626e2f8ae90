import Foundation

/// Cheap checks of a file before `dlopen`, so a wrong or damaged file is reported as what
/// it is (dlopen's own messages are terse and vary between libc versions). Shared by the
/// loader (which refuses such a file) and the compiler (which checks what the C compiler
/// wrote, and what the cache holds), so it names problems, not anyone's error type.
enum ELFCheck {
    /// What is wrong with a file that should be a shared library.
    enum Problem: Error, Equatable {
        /// No file at the path (or a directory).
        case notFound
        /// A file, but it cannot be opened for reading.
        case unreadable
        /// No ELF magic number.
        case notELF
        /// The ELF headers point past the end of the file (`size` bytes, `needed` needed).
        case truncated(size: Int, needed: Int)
    }

    /// Throws the ``Problem`` with the file at `path`, if any. Only the file's first 64 bytes
    /// and its size are read.
    static func check(_ path: String) throws(Problem) {
        guard let handle = FileHandle(forReadingAtPath: path) else {
            var isDir: ObjCBool = false
            if FileManager.default.fileExists(atPath: path, isDirectory: &isDir), !isDir.boolValue {
                throw .unreadable
            }
            throw .notFound
        }
        defer { try? handle.close() }
        let size = Int((try? handle.seekToEnd()) ?? 0)
        try? handle.seek(toOffset: 0)
        let header = [UInt8]((try? handle.read(upToCount: 64)) ?? Data())
        guard header.count >= 16, hasMagic(header) else { throw .notELF }
        // 64-bit little-endian ELF: program and section header tables must lie in the file.
        guard isELF64LE(header) else { return } // let dlopen explain other classes
        guard header.count == 64 else { throw .truncated(size: size, needed: 64) }
        func u(_ at: Int, _ n: Int) -> UInt64 { littleEndian(header, at: at, count: n) }
        // Saturating: a hostile offset near 2^64 must read as "past the end", not overflow.
        func end(_ offset: UInt64, _ count: UInt64) -> Int {
            let (sum, over) = offset.addingReportingOverflow(count)
            return over ? Int.max : Int(clamping: sum)
        }
        let needed = max(end(u(0x20, 8), u(0x36, 2) * u(0x38, 2)), end(u(0x28, 8), u(0x3A, 2) * u(0x3C, 2)))
        if needed > size { throw .truncated(size: size, needed: needed) }
    }

    /// The ELF magic number opens `bytes`.
    static func hasMagic(_ bytes: [UInt8]) -> Bool {
        bytes.count >= 4 && bytes[0] == 0x7f && bytes[1] == 0x45 && bytes[2] == 0x4c && bytes[3] == 0x46
    }

    /// An ELF header of class 64-bit, little-endian (what the readers here understand).
    static func isELF64LE(_ header: [UInt8]) -> Bool { hasMagic(header) && header.count >= 6 && header[4] == 2 && header[5] == 1 }

    /// The little-endian unsigned integer of `count` bytes at `at`.
    static func littleEndian(_ bytes: [UInt8], at: Int, count: Int) -> UInt64 {
        (0..<count).reduce(UInt64(0)) { $0 | UInt64(bytes[at + $1]) << (8 * UInt64($1)) }
    }

    /// Throws unless the file at `path` is a whole 64-bit little-endian relocatable object
    /// (`ET_REL`, as `cc -c` writes on x86-64 and arm64): what a kernel-object store may hand to
    /// the linker. Stricter than ``check(_:)``, which leaves other classes to dlopen.
    static func checkObject(_ path: String) throws(Problem) {
        try check(path)
        guard let handle = FileHandle(forReadingAtPath: path) else { throw .unreadable }
        defer { try? handle.close() }
        let header = [UInt8]((try? handle.read(upToCount: 64)) ?? Data())
        guard header.count == 64, isELF64LE(header), header[16] == 1, header[17] == 0 else { throw .notELF }
    }
}
