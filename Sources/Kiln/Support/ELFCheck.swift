import Foundation

/// Cheap checks of a file before `dlopen`, so a wrong or damaged file is reported as what
/// it is (dlopen's own messages are terse and vary between libc versions).
enum ELFCheck {
    /// Throws ``LoadError/fileNotFound``, ``LoadError/notELF`` or ``LoadError/truncated``.
    static func check(_ path: String) throws {
        guard let handle = FileHandle(forReadingAtPath: path) else {
            var isDir: ObjCBool = false
            if FileManager.default.fileExists(atPath: path, isDirectory: &isDir), !isDir.boolValue {
                throw LoadError.dlopenFailed(path: path, message: "the file is not readable")
            }
            throw LoadError.fileNotFound(path: path)
        }
        defer { try? handle.close() }
        let size = Int((try? handle.seekToEnd()) ?? 0)
        try? handle.seek(toOffset: 0)
        let header = [UInt8]((try? handle.read(upToCount: 64)) ?? Data())
        guard header.count >= 16, header[0] == 0x7f, header[1] == 0x45, header[2] == 0x4c, header[3] == 0x46 else {
            throw LoadError.notELF(path: path)
        }
        // 64-bit little-endian ELF: program and section header tables must lie in the file.
        guard header[4] == 2, header[5] == 1 else { return } // let dlopen explain other classes
        guard header.count == 64 else { throw LoadError.truncated(path: path, size: size, needed: 64) }
        func u(_ at: Int, _ n: Int) -> Int { (0..<n).reduce(0) { $0 | Int(header[at + $1]) << (8 * $1) } }
        let phEnd = u(0x20, 8) + u(0x36, 2) * u(0x38, 2)
        let shEnd = u(0x28, 8) + u(0x3A, 2) * u(0x3C, 2)
        let needed = max(phEnd, shEnd)
        if needed > size { throw LoadError.truncated(path: path, size: size, needed: needed) }
    }
}
