import Foundation
// internal: ZIPFoundation (and its CZlib module map) must not become a dependency of every
// program that imports Kiln, such as recipe programs compiled against the built module.
internal import ZIPFoundation

/// A zip archive read through ZIPFoundation — the only file that imports it.
///
/// Only what a torch.save checkpoint needs: the member list from the central directory, and
/// the bytes of an uncompressed (STORED) member, CRC-checked. Compressed members are never
/// inflated: torch.save writes none, and ZIPFoundation 0.9.20's inflater trusts the declared
/// sizes (a truncated deflate stream makes zlib read past its input chunk), so refusing them
/// removes both the zip-bomb and that risk.
final class ZipArchive {
    /// One member as the central directory describes it.
    struct Member {
        let name: String
        let isCompressed: Bool
        let isFile: Bool
        let uncompressedSize: UInt64
        fileprivate let entry: Entry
    }

    /// Why the archive or a member could not be read.
    enum Failure: Error, Equatable {
        case malformed(String)
        case tooManyMembers(Int)
    }

    /// Members in central-directory order.
    let members: [Member]
    /// Bytes in the whole archive (an upper bound for any member).
    let byteCount: UInt64
    private let archive: Archive

    /// Opens the file at `url`, which the caller has checked is a regular file.
    convenience init(url: URL, byteCount: UInt64, maxMembers: Int) throws(Failure) {
        let tailLength = UInt64(Self.maxEndRecordDistance)
        let handle = FileHandle(forReadingAtPath: url.path)
        defer { try? handle?.close() }
        try? handle?.seek(toOffset: byteCount > tailLength ? byteCount - tailLength : 0)
        let tail = (try? handle?.read(upToCount: Int(tailLength))) ?? Data()
        let end = try Self.checkEndRecord([UInt8](tail))
        if let handle {
            try Self.checkZip64Fields(endRecord: byteCount - UInt64(tail.count) + UInt64(end), maxMembers: maxMembers) { offset, count in
                guard (try? handle.seek(toOffset: offset)) != nil else { return [] }
                return [UInt8]((try? handle.read(upToCount: count)) ?? Data())
            }
        }
        let archive: Archive
        do { archive = try Archive(url: url, accessMode: .read) } catch { throw .malformed(Self.describe(error)) }
        try self.init(archive: archive, byteCount: byteCount, maxMembers: maxMembers)
    }

    /// Reads an archive image held in memory (fuzzing, tests) through an unlinked temporary
    /// file. Not ZIPFoundation's in-memory archive: its MemoryFile traps on a read after a seek
    /// past the end (a central directory offset beyond the image is enough), where a FILE on
    /// a real file just reads nothing.
    convenience init(data: Data, maxMembers: Int) throws(Failure) {
        let tail = data.suffix(Self.maxEndRecordDistance)
        let end = try Self.checkEndRecord([UInt8](tail))
        try Self.checkZip64Fields(endRecord: UInt64(data.count - tail.count + end), maxMembers: maxMembers) { offset, count in
            guard offset < UInt64(data.count) else { return [] }
            let start = data.startIndex + Int(offset)
            return [UInt8](data[start..<min(start + count, data.endIndex)])
        }
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("kiln-zip-\(UUID().uuidString)")
        do { try data.write(to: url) } catch { throw .malformed("cannot stage the image in \(url.path): \(error)") }
        defer { try? FileManager.default.removeItem(at: url) }   // the open FILE keeps the bytes
        let archive: Archive
        do { archive = try Archive(url: url, accessMode: .read) } catch { throw .malformed(Self.describe(error)) }
        try self.init(archive: archive, byteCount: UInt64(data.count), maxMembers: maxMembers)
    }

    private init(archive: Archive, byteCount: UInt64, maxMembers: Int) throws(Failure) {
        var members: [Member] = []
        for entry in archive {
            guard members.count < maxMembers else { throw .tooManyMembers(maxMembers) }
            members.append(Member(name: entry.path, isCompressed: entry.isCompressed, isFile: entry.type == .file,
                                  uncompressedSize: entry.uncompressedSize, entry: entry))
        }
        self.archive = archive
        self.members = members
        self.byteCount = byteCount
    }

    /// The end record lies within its 22 bytes plus the longest comment of the archive's end.
    static let maxEndRecordDistance = 22 + 65_535

    /// Finds the end-of-central-directory record the way ZIPFoundation will (the last signature
    /// at least 22 bytes before the end), but only in the last 64 KiB: where ZIPFoundation
    /// finds none or a damaged one, it scans every byte back to the start with one fread each
    /// (and its in-memory archive leaks its FILE).
    /// Returns the record's offset in `tail`.
    @discardableResult
    static func checkEndRecord(_ tail: [UInt8]) throws(Failure) -> Int {
        guard tail.count >= 22 else { throw .malformed("no end-of-central-directory record (truncated, or not a zip)") }
        for o in stride(from: tail.count - 22, through: 0, by: -1)
        where tail[o] == 0x50 && tail[o + 1] == 0x4B && tail[o + 2] == 0x05 && tail[o + 3] == 0x06 {
            let comment = Int(tail[o + 20]) | Int(tail[o + 21]) << 8
            guard o + 22 + comment <= tail.count else {
                throw .malformed("the end-of-central-directory record claims a \(comment)-byte comment past the end of the archive")
            }
            return o
        }
        throw .malformed("no end-of-central-directory record (truncated, or not a zip)")
    }

    /// Little-endian fields of zip records.
    private static func u16(_ b: [UInt8], _ at: Int) -> UInt64 { UInt64(b[at]) | UInt64(b[at + 1]) << 8 }
    private static func u32(_ b: [UInt8], _ at: Int) -> UInt64 { u16(b, at) | u16(b, at + 2) << 16 }
    private static func u64(_ b: [UInt8], _ at: Int) -> UInt64 { u32(b, at) | u32(b, at + 4) << 32 }

    /// ZIP64's 64-bit fields below this are accepted: far beyond any archive Kiln reads, and far
    /// enough below Int64.max that ZIPFoundation's sums of them with header sizes cannot overflow.
    static let maxZip64Field: UInt64 = 1 << 62

    /// Checks the ZIP64 fields ZIPFoundation will use before it does: it converts them to
    /// `off_t` and `Int64` without checking, so a value over Int64.max (an offset of a ZIP64
    /// record, a central directory offset, size or count, an entry's ZIP64 local-header offset
    /// or sizes) traps instead of failing. Walks the central directory as ZIPFoundation does,
    /// at most `maxMembers` + 1 entries. `read(offset, count)` returns up to `count` bytes.
    static func checkZip64Fields(endRecord: UInt64, maxMembers: Int, read: (UInt64, Int) -> [UInt8]) throws(Failure) {
        func check(_ value: UInt64, _ what: String) throws(Failure) {
            guard value < maxZip64Field else { throw .malformed("\(what) is \(value), beyond any archive (a ZIP64 field over 2^62)") }
        }
        let end = read(endRecord, 22)
        guard end.count == 22 else { return }
        // The central directories to walk: the end record's, and each ZIP64 end record's. A
        // ZIP64 end record is looked for where the locator says and right before the locator
        // (where ZIPFoundation reads it), since a damaged archive can disagree.
        var directories: [(offset: UInt64, entries: UInt64)] = [(u32(end, 16), u16(end, 10))]
        if endRecord >= 20 {
            let locator = read(endRecord - 20, 20)
            if locator.count == 20, u32(locator, 0) == 0x0706_4b50 {
                let recordOffset = u64(locator, 8)
                try check(recordOffset, "the ZIP64 end-of-central-directory locator's record offset")
                for offset in Set([recordOffset] + (endRecord >= 76 ? [endRecord - 76] : [])) {
                    let record = read(offset, 56)
                    guard record.count == 56, u32(record, 0) == 0x0606_4b50 else { continue }
                    try check(u64(record, 24), "the ZIP64 end record's entries on this disk")
                    try check(u64(record, 32), "the ZIP64 end record's entry count")
                    try check(u64(record, 40), "the ZIP64 end record's central directory size")
                    try check(u64(record, 48), "the ZIP64 end record's central directory offset")
                    directories.append((u64(record, 48), u64(record, 32)))
                }
            }
        }
        for (directory, entries) in directories {
            try checkEntries(from: directory, count: min(entries, UInt64(maxMembers) + 1), read: read)
        }
    }

    /// The ZIP64 extra fields of `count` central-directory entries from `directory` on.
    private static func checkEntries(from directory: UInt64, count: UInt64, read: (UInt64, Int) -> [UInt8]) throws(Failure) {
        var at = directory
        for _ in 0..<count {
            let header = read(at, 46)
            guard header.count == 46, u32(header, 0) == 0x0201_4b50 else { return }
            let name = u16(header, 28), extraLength = u16(header, 30), comment = u16(header, 32)
            let extra = read(at + 46 + name, Int(extraLength))
            var field = 0
            while field + 4 <= extra.count {
                let id = u16(extra, field), size = Int(u16(extra, field + 2))
                if id == 0x0001 {
                    // ZIP64 extended information: 64-bit sizes and local-header offset, then a disk number.
                    var value = field + 4
                    while value + 8 <= min(field + 4 + size, extra.count) {
                        let v = u64(extra, value)
                        guard v < maxZip64Field else {
                            throw .malformed("a ZIP64 size or offset of the central directory entry at \(at) is \(v), beyond any archive (a ZIP64 field over 2^62)")
                        }
                        value += 8
                    }
                }
                field += 4 + size
            }
            at += 46 + name + extraLength + comment
        }
    }

    /// The bytes of a STORED member, exactly `uncompressedSize` of them, CRC-checked.
    func read(_ member: Member) throws(Failure) -> Data {
        guard !member.isCompressed else { throw .malformed("\(member.name) is compressed") }
        let size = member.uncompressedSize
        // A stored member lies inside the archive; checking first keeps the reads bounded.
        guard size <= byteCount, member.entry.compressedSize == size else {
            throw .malformed("\(member.name) claims \(size) bytes (\(member.entry.compressedSize) stored) in a \(byteCount)-byte archive")
        }
        let total = Int(size)
        let chunk = 1 << 20
        var out = Data()
        out.reserveCapacity(total)
        do {
            _ = try archive.extract(member.entry, bufferSize: chunk, skipCRC32: true) { (data: Data) in
                // A short chunk means the file ended early; stopping here also stops
                // ZIPFoundation from looping over the rest of the declared size.
                let expected = min(chunk, total - out.count)
                guard data.count == expected else { throw Failure.malformed("\(member.name) is truncated") }
                out.append(data)
            }
        } catch let failure as Failure {
            throw failure
        } catch {
            throw .malformed("\(member.name): \(Self.describe(error))")
        }
        guard out.count == total else { throw .malformed("\(member.name) is truncated (\(out.count) of \(total) bytes)") }
        let crc = out.withUnsafeBytes { CRC32.checksum($0) }
        guard crc == member.entry.checksum else {
            throw .malformed("\(member.name): CRC-32 is \(String(crc, radix: 16)), the directory says \(String(member.entry.checksum, radix: 16))")
        }
        return out
    }

    private static func describe(_ error: Error) -> String {
        if let e = error as? Archive.ArchiveError {
            switch e {
            case .missingEndOfCentralDirectoryRecord: return "no end-of-central-directory record (truncated, or not a zip)"
            case .unreadableArchive: return "the archive cannot be read (truncated or damaged)"
            case .invalidCRC32: return "CRC-32 mismatch"
            default: return "\(e)"
            }
        }
        return "\(error)"
    }
}
