import Foundation

/// A `torch.export.save` archive opened and checked: one top-level folder (named after the
/// file, `<name>/`) holding `archive_format` (`pt2`), `models/<model>.json`,
/// `data/weights/<model>_weights_config.json` and the raw weight files. Every member name is
/// checked before anything is read; members are read only through size limits.
struct PT2Archive {
    let url: URL
    let archive: ZipArchive
    /// The folder every member lives in, with its slash (`tiny/`).
    let prefix: String
    let members: [String: ZipArchive.Member]
    let limits: PT2ImportLimits
    var path: String { url.displayPath }

    /// The zip read from a file after checking it is a regular file and within the limits.
    init(url: URL, limits: PT2ImportLimits) throws(PT2ImportError) {
        let size: UInt64
        do { size = try PyTorchCheckpoint.checkRegularFile(url) } catch {
            let reason = if case .unreadable(_, let r) = error { r } else { "no such file" }
            throw PT2ImportError(.unreadable, "\(url.displayPath): \(reason)", fix: "check the path of the .pt2 file")
        }
        guard size <= limits.maxFileBytes else {
            throw PT2ImportError(.limitExceeded, "\(url.displayPath): the file has \(size) bytes, more than the \(limits.maxFileBytes) Kiln reads",
                                 fix: "pass PT2ImportLimits with a larger maxFileBytes if the file is trusted")
        }
        let archive: ZipArchive
        do { archive = try ZipArchive(url: url, byteCount: size, maxMembers: limits.maxMembers) } catch {
            throw Self.zipError(error, url: url, limits: limits)
        }
        try self.init(url: url, archive: archive, limits: limits)
    }

    /// The zip held in memory (fuzzing, tests); `url` names it in messages.
    init(data: Data, url: URL, limits: PT2ImportLimits) throws(PT2ImportError) {
        guard UInt64(data.count) <= limits.maxFileBytes else {
            throw PT2ImportError(.limitExceeded, "\(url.displayPath): the archive has \(data.count) bytes, more than the \(limits.maxFileBytes) Kiln reads",
                                 fix: "pass PT2ImportLimits with a larger maxFileBytes if the file is trusted")
        }
        let archive: ZipArchive
        do { archive = try ZipArchive(data: data, maxMembers: limits.maxMembers) } catch {
            throw Self.zipError(error, url: url, limits: limits)
        }
        try self.init(url: url, archive: archive, limits: limits)
    }

    private init(url: URL, archive: ZipArchive, limits: PT2ImportLimits) throws(PT2ImportError) {
        self.url = url
        self.archive = archive
        self.limits = limits
        var members: [String: ZipArchive.Member] = [:]
        for m in archive.members {
            do { try PyTorchCheckpoint.checkName(m.name, path: url.displayPath) } catch {
                throw PT2ImportError(.malformed, error.description, fix: "write the archive with torch.export.save; Kiln never reads members outside the archive's folder")
            }
            guard members[m.name] == nil else {
                throw PT2ImportError(.malformed, "\(url.displayPath): the member \(m.name) appears twice (which one is meant is ambiguous)",
                                     fix: "write the archive again with torch.export.save")
            }
            // Checked for every member before any is read: torch.export.save stores members
            // uncompressed, and a size larger than the archive is a lie (or a zip bomb).
            guard !m.isCompressed else {
                throw PT2ImportError(.malformed, "\(url.displayPath): \(m.name) is compressed; torch.export.save stores every member uncompressed, and Kiln does not inflate untrusted members",
                                     fix: "write the archive with torch.export.save, not re-zipped")
            }
            guard m.uncompressedSize <= archive.byteCount else {
                throw PT2ImportError(.malformed, "\(url.displayPath): \(m.name) claims \(m.uncompressedSize) bytes in a \(archive.byteCount)-byte archive",
                                     fix: "the archive is damaged; write it again with torch.export.save")
            }
            members[m.name] = m
        }
        let prefix = try Self.findPrefix(members, url: url)
        self.prefix = prefix
        if let stray = members.keys.sorted().first(where: { !$0.hasPrefix(prefix) }) {
            throw PT2ImportError(.malformed, "\(url.displayPath): the member \(stray) lies outside the archive's folder \(prefix)",
                                 fix: "write the archive with torch.export.save")
        }
        self.members = members
    }

    /// The archive's folder: the one holding `archive_format`, else `models/` (older writers).
    private static func findPrefix(_ members: [String: ZipArchive.Member], url: URL) throws(PT2ImportError) -> String {
        let candidates = members.keys.filter { name in
            let parts = name.split(separator: "/", omittingEmptySubsequences: false)
            return (parts.count == 2 && parts[1] == "archive_format") || (parts.count == 3 && parts[1] == "models" && parts[2].hasSuffix(".json"))
        }
        let folders = Set(candidates.map { String($0.prefix(upTo: $0.firstIndex(of: "/")!)) + "/" })
        guard folders.count == 1, let prefix = folders.first else {
            if folders.isEmpty {
                let hint = members.keys.contains { $0.hasSuffix("/data.pkl") } ? " (it looks like a torch.save checkpoint: pass it as weights, e.g. --weights)" : ""
                throw PT2ImportError(.malformed, "\(url.displayPath): not a torch.export archive: no <folder>/archive_format or <folder>/models/<model>.json member\(hint)",
                                     fix: "save the program with torch.export.save(ep, \"model.pt2\")")
            }
            throw PT2ImportError(.malformed, "\(url.displayPath): the archive holds several programs' folders (\(folders.sorted().joined(separator: ", ")))",
                                 fix: "save one program per file with torch.export.save")
        }
        return prefix
    }

    static func zipError(_ error: ZipArchive.Failure, url: URL, limits: PT2ImportLimits) -> PT2ImportError {
        switch error {
        case .malformed(let reason):
            PT2ImportError(.malformed, "\(url.displayPath): not a readable zip archive: \(reason)",
                           fix: "check the file is a complete .pt2 written by torch.export.save (python3 -c \"import torch; torch.export.load('\(url.lastPathComponent)')\")")
        case .tooManyMembers(let n):
            PT2ImportError(.limitExceeded, "\(url.displayPath): the archive has more than \(n) members",
                           fix: "pass PT2ImportLimits with a larger maxMembers if the file is trusted")
        }
    }

    /// The member `relative` (below the prefix), or nil when absent.
    func member(_ relative: String) -> ZipArchive.Member? { members[prefix + relative] }

    /// The bytes of `relative`, refusing members larger than `limit`.
    func read(_ relative: String, limit: UInt64) throws(PT2ImportError) -> Data {
        guard let m = member(relative) else {
            throw PT2ImportError(.malformed, "\(path): the member \(prefix + relative) is missing",
                                 fix: "write the archive again with torch.export.save (it always writes \(relative))")
        }
        guard m.isFile else {
            throw PT2ImportError(.malformed, "\(path): \(m.name) is not a regular file member", fix: "write the archive again with torch.export.save")
        }
        guard m.uncompressedSize <= limit else {
            throw PT2ImportError(.limitExceeded, "\(path): \(m.name) has \(m.uncompressedSize) bytes, more than the \(limit) Kiln reads for it",
                                 fix: "pass PT2ImportLimits with larger limits if the file is trusted")
        }
        do { return try archive.read(m) } catch { throw Self.zipError(error, url: url, limits: limits) }
    }

    /// A small text member (`archive_format`, `byteorder`), trimmed.
    func text(_ relative: String) throws(PT2ImportError) -> String? {
        guard member(relative) != nil else { return nil }
        return String(decoding: try read(relative, limit: 64), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
    }
}
