import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// Kiln's scratch folders in `$TMPDIR` (`kiln bench`'s cold caches, the recipe runner's build
/// and run folders): each is named after the process that made it, so that a later Kiln
/// process can remove the ones whose owner died without cleaning up (SIGKILL, a crash, a
/// power cut), and registered, so that an interrupted process removes its own before exiting.
///
/// A folder is named `<prefix>-<pid>-<start>-<random>`, where `start` is the owner's start
/// time in clock ticks since boot (`/proc/<pid>/stat`, field 22): a pid alone can be reused
/// by an unrelated process, the pair cannot.
public final class TemporaryFolders: @unchecked Sendable {
    /// The folders of this process.
    public static let shared = TemporaryFolders()
    private let lock = NSLock()
    /// Held while a folder is being removed (see ``remove(_:)``).
    private let removal = NSLock()
    private var folders: Set<String> = []

    /// A separate registry (tests); Kiln itself uses ``shared``.
    public init() {}

    /// Creates `$TMPDIR/<prefix>-<pid>-<start>-<random>` (mode 0700) and registers it.
    public func create(prefix: String) throws -> URL {
        let name = "\(prefix)-\(getpid())-\(Self.ownStartTime)-\(UUID().uuidString.prefix(8).lowercased())"
        let url = FileManager.default.temporaryDirectory.appendingPathComponent(name)
        lock.withLock { _ = folders.insert(url.path) }
        do {
            try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true,
                                                    attributes: [.posixPermissions: 0o700])
        } catch {
            lock.withLock { _ = folders.remove(url.path) }
            throw error
        }
        return url
    }

    /// Removes `path` (a folder from ``create(prefix:)``) and forgets it.
    ///
    /// One removal at a time, retried while the folder is still there: an interrupt handler's
    /// ``removeAll()`` can race the owner's own cleanup of the same folder (each recursive
    /// removal then trips over files the other one deleted and gives up), or a writer still
    /// finishing a file in it (the folder is not empty when its files are gone).
    public func remove(_ path: String) {
        removal.withLock {
            for _ in 0..<5 {
                try? FileManager.default.removeItem(atPath: path)
                if !FileManager.default.fileExists(atPath: path) { break }
                usleep(10_000)
            }
        }
        lock.withLock { _ = folders.remove(path) }
    }

    /// The registered folders, sorted.
    public var registered: [String] { lock.withLock { folders }.sorted() }

    /// Removes every registered folder (the process is about to exit); returns them, sorted.
    @discardableResult
    public func removeAll() -> [String] {
        let all = lock.withLock { folders }.sorted()
        for path in all { remove(path) }
        return all
    }

    /// Removes the folders named `<prefix>-<pid>-<start>-…` in `$TMPDIR` (or `directory`) whose
    /// owner no longer runs, and returns their paths. Only real directories owned by this
    /// user are touched: a symbolic link, a file or another user's folder with such a name is
    /// left alone, and so is a folder whose owner still runs.
    @discardableResult
    public static func sweepAbandoned(prefix: String, in directory: URL = FileManager.default.temporaryDirectory) -> [String] {
        // Without a readable /proc every owner would look dead, live ones included: sweep nothing.
        guard ownStartTime != 0 else { return [] }
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
        var removed: [String] = []
        for name in names.sorted() {
            // Start time 0: made where /proc was unreadable, so its owner cannot be told apart.
            guard let owner = owner(of: name, prefix: prefix), owner.start != 0, !isRunning(owner) else { continue }
            let path = directory.appendingPathComponent(name).path
            var info = stat()
            guard lstat(path, &info) == 0, (info.st_mode & S_IFMT) == S_IFDIR, info.st_uid == getuid() else { continue }
            if (try? FileManager.default.removeItem(atPath: path)) != nil { removed.append(path) }
        }
        return removed
    }

    /// The (pid, start time) a folder name carries, or nil when it is not one of `prefix`'s.
    static func owner(of name: String, prefix: String) -> (pid: Int32, start: UInt64)? {
        guard name.hasPrefix(prefix + "-") else { return nil }
        let parts = name.dropFirst(prefix.count + 1).split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 3, let pid = Int32(parts[0]), pid > 0, let start = UInt64(parts[1]),
              parts[2].count == 8, parts[2].allSatisfy(\.isHexDigit) else { return nil }
        return (pid, start)
    }

    /// Whether the process `pid` that started at `start` still runs (a zombie counts as gone).
    static func isRunning(_ owner: (pid: Int32, start: UInt64)) -> Bool {
        guard let fields = statFields(owner.pid) else { return false }
        return fields.state != "Z" && fields.start == owner.start
    }

    /// This process's start time, in clock ticks since boot.
    static let ownStartTime: UInt64 = statFields(getpid())?.start ?? 0

    /// The state (field 3) and start time (field 22) of `/proc/<pid>/stat`. The command name
    /// (field 2) may hold spaces and parentheses, so fields are counted after its last `)`.
    static func statFields(_ pid: Int32) -> (state: Character, start: UInt64)? {
        guard let text = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let close = text.lastIndex(of: ")") else { return nil }
        let rest = text[text.index(after: close)...].split(separator: " ")
        guard rest.count > 19, let state = rest[0].first, let start = UInt64(rest[19]) else { return nil }
        return (state, start)
    }
}
