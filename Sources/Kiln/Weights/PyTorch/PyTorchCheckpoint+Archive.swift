import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The container checks: file kind, magic bytes, member names and the archive's layout.
extension PyTorchCheckpoint {
    /// The archive's members by name and the folder they all live in (`archive/`).
    struct Layout {
        let prefix: String
        let members: [String: ZipArchive.Member]
    }

    static let zipMagic: [UInt8] = [0x50, 0x4B, 0x03, 0x04]

    /// True when `url` starts like a PyTorch file: a zip archive, or a legacy tar or pickle
    /// stream (refused later with advice). That is how ``Weights/file(_:pytorchOptions:)``
    /// tells a `.pth` from a safetensors file regardless of the extension.
    public static func looksLikePyTorch(_ url: URL) -> Bool {
        guard let head = try? readHead(url) else { return false }
        if head.starts(with: zipMagic) || isTar(head) { return true }
        // A safetensors file starts with its header size, which may begin 0x80 0x02 too; its
        // ninth byte is the header's "{".
        return head.count >= 2 && head[0] == 0x80 && (1...5).contains(head[1]) && (head.count < 9 || head[8] != 0x7B)
    }

    static func isTar(_ head: [UInt8]) -> Bool { head.count >= 262 && Array(head[257..<262]) == Array("ustar".utf8) }

    /// The file's size, after checking that it is a regular file (symlinks followed): opening
    /// a FIFO would block, and a directory is a confusing error later.
    static func checkRegularFile(_ url: URL) throws(PyTorchError) -> UInt64 {
        let path = url.displayPath
        var st = stat()
        guard stat(url.path, &st) == 0 else {
            let e = errno
            if e == ENOENT || e == ENOTDIR { throw .fileNotFound(path: path) }
            throw .unreadable(path: path, reason: String(cString: strerror(e)))
        }
        guard (st.st_mode & S_IFMT) == S_IFREG else {
            throw .unreadable(path: path, reason: (st.st_mode & S_IFMT) == S_IFDIR ? "it is a directory" : "it is not a regular file")
        }
        return UInt64(st.st_size)
    }

    /// The first 512 bytes (enough for the zip magic and a tar header).
    static func readHead(_ url: URL) throws(PyTorchError) -> [UInt8] {
        guard let handle = FileHandle(forReadingAtPath: url.path) else {
            throw .unreadable(path: url.displayPath, reason: "cannot open it for reading")
        }
        defer { try? handle.close() }
        return [UInt8]((try? handle.read(upToCount: 512)) ?? Data())
    }

    /// Refuses what is not a zip, naming the legacy formats torch.load still reads.
    static func checkMagic(_ head: [UInt8], path: String) throws(PyTorchError) {
        if head.starts(with: zipMagic) { return }
        if isTar(head) {
            throw .legacyFormat(path: path, kind: "a tar archive")
        }
        // Legacy torch.save: pickles in a row, the first PROTO 2 + LONG1 magic number.
        if head.count >= 3, head[0] == 0x80, (1...5).contains(head[1]) {
            throw .legacyFormat(path: path, kind: "a bare pickle stream")
        }
        if head.isEmpty { throw .notACheckpoint(path: path, found: "nothing (the file is empty)") }
        let shown = head.prefix(8).map { (0x20..<0x7F).contains($0) && $0 != 0x5C ? String(UnicodeScalar($0)) : String(format: "\\x%02x", $0) }.joined()
        throw .notACheckpoint(path: path, found: "\"\(shown)\"")
    }

    static func zipError(_ error: ZipArchive.Failure, path: String) -> PyTorchError {
        switch error {
        case .malformed(let reason): .malformedZip(path: path, reason: reason)
        case .tooManyMembers(let n): .limitExceeded(path: path, what: "zip members", limit: n)
        }
    }

    /// Checks every member name and finds the checkpoint's folder: all members must lie in one
    /// top-level folder that holds `data.pkl`, with no TorchScript code or export program.
    static func checkLayout(_ archive: ZipArchive, path: String) throws(PyTorchError) -> Layout {
        var members: [String: ZipArchive.Member] = [:]
        for m in archive.members {
            try checkName(m.name, path: path)
            guard members[m.name] == nil else { throw .duplicateMember(path: path, member: m.name) }
            // Checked for every member before any is read: a directory that lies about sizes,
            // or a compressed member (a zip bomb, or at least not torch.save's output), ends here.
            guard !m.isCompressed else {
                throw .malformedZip(path: path, reason: "\(m.name) is compressed; torch.save stores every member uncompressed, and Kiln does not inflate untrusted members")
            }
            guard m.uncompressedSize <= archive.byteCount else {
                throw .malformedZip(path: path, reason: "\(m.name) claims \(m.uncompressedSize) bytes in a \(archive.byteCount)-byte archive")
            }
            members[m.name] = m
        }
        let pickles = members.keys.filter { $0.hasSuffix("/data.pkl") && $0.split(separator: "/", omittingEmptySubsequences: false).count == 2 }
        for name in members.keys.sorted() {
            let parts = name.split(separator: "/", omittingEmptySubsequences: false)
            if parts.count >= 3, parts[1] == "code" { throw .torchScriptArchive(path: path, member: parts[0] + "/code/") }
            if parts.count == 2, parts[1] == "constants.pkl" { throw .torchScriptArchive(path: path, member: name) }
        }
        guard pickles.count == 1, let pkl = pickles.first else {
            if pickles.isEmpty, let program = members.keys.sorted().first(where: { $0.hasSuffix("/archive_format") || $0.hasSuffix("/models/model.json") }) {
                throw .exportedProgram(path: path, member: program)
            }
            if pickles.isEmpty { throw .missingMember(path: path, member: "<archive>/data.pkl") }
            throw .duplicateMember(path: path, member: pickles.sorted().joined(separator: ", "))
        }
        let prefix = String(pkl.dropLast("data.pkl".count))
        if let stray = members.keys.sorted().first(where: { !$0.hasPrefix(prefix) }) {
            throw .unsafeMemberName(path: path, member: stray, reason: "it lies outside the checkpoint's folder \(prefix)")
        }
        return Layout(prefix: prefix, members: members)
    }

    /// A member name must be a plain relative path: no absolute paths, no `..` or `.`
    /// components, no backslashes, drive letters or control characters.
    static func checkName(_ name: String, path: String) throws(PyTorchError) {
        func refuse(_ reason: String) -> PyTorchError { .unsafeMemberName(path: path, member: name, reason: reason) }
        if name.isEmpty { throw refuse("it is empty") }
        if name.hasPrefix("/") { throw refuse("it is an absolute path") }
        if name.contains("\\") { throw refuse("it contains a backslash") }
        if name.utf8.contains(where: { $0 < 0x20 || $0 == 0x7F }) { throw refuse("it contains a control character") }
        if name.count >= 2, name.dropFirst().first == ":" { throw refuse("it starts with a drive letter") }
        for part in name.split(separator: "/", omittingEmptySubsequences: false).dropLast() where part.isEmpty || part == "." || part == ".." {
            throw refuse(part == ".." ? "it climbs out of the archive with .." : "it has an empty or '.' component")
        }
        if name.hasSuffix("/..") || name.hasSuffix("/.") || name == ".." || name == "." { throw refuse("it climbs out of the archive with ..") }
    }

    static func readByteOrder(_ archive: ZipArchive, layout: Layout, path: String) throws(PyTorchError) -> Bool {
        // PyTorch 1.6–1.9 wrote no byteorder record; they ran only on little-endian hosts.
        guard let m = layout.members[layout.prefix + "byteorder"] else { return false }
        let raw = try readMember(archive, m, path: path, limit: 16, what: "byteorder")
        let text = String(decoding: raw, as: UTF8.self)
        switch text {
        case "little": return false
        case "big": return true
        default: throw .badByteOrder(path: path, value: String(text.prefix(16)))
        }
    }

    /// A member's bytes, refusing compressed members and those over `limit`.
    static func readMember(_ archive: ZipArchive, _ m: ZipArchive.Member, path: String, limit: UInt64, what: String) throws(PyTorchError) -> Data {
        guard m.isFile else { throw .malformedZip(path: path, reason: "\(m.name) is not a regular file member") }
        guard !m.isCompressed else {
            throw .malformedZip(path: path, reason: "\(m.name) is compressed; torch.save stores every member uncompressed, and Kiln does not inflate untrusted members")
        }
        guard m.uncompressedSize <= limit else {
            throw .memberTooLarge(path: path, member: what, bytes: m.uncompressedSize, limit: limit)
        }
        do { return try archive.read(m) } catch { throw zipError(error, path: path) }
    }
}
