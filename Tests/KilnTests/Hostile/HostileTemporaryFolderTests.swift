import Foundation
import Kiln
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// Scratch folders left by a Kiln process that died without cleaning up (SIGKILL, a crash) are
/// removed by the next one; nothing else that merely looks like one is touched.
@Suite struct HostileTemporaryFolderTests {
    /// A private `$TMPDIR` stand-in, removed at the end.
    static func scratch() throws -> URL {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("kiln-tmpfolders-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        return dir
    }

    /// The pid and start time of a process that has exited (and been reaped).
    static func deadProcess() throws -> (pid: Int32, start: UInt64) {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/bin/sleep")
        p.arguments = ["0.2"]
        try p.run()
        let pid = p.processIdentifier
        let start = try #require(Self.startTime(pid), "no /proc/\(pid)/stat")
        p.waitUntilExit()
        return (pid, start)
    }

    static func startTime(_ pid: Int32) -> UInt64? {
        guard let text = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let close = text.lastIndex(of: ")") else { return nil }
        let rest = text[text.index(after: close)...].split(separator: " ")
        return rest.count > 19 ? UInt64(rest[19]) : nil
    }

    static func exists(_ url: URL) -> Bool { FileManager.default.fileExists(atPath: url.path) }

    @Test func onlyFoldersOfDeadOwnersAreSwept() throws {
        let dir = try Self.scratch()
        defer { try? FileManager.default.removeItem(at: dir) }
        let fm = FileManager.default
        let dead = try Self.deadProcess()
        let me = (pid: getpid(), start: try #require(Self.startTime(getpid())))
        func folder(_ name: String) throws -> URL {
            let url = dir.appendingPathComponent(name)
            try fm.createDirectory(at: url, withIntermediateDirectories: true)
            try Data("x".utf8).write(to: url.appendingPathComponent("library.so"))
            return url
        }
        let abandoned = try folder("kiln-bench-cache-\(dead.pid)-\(dead.start)-0123abcd")
        // The pid runs, but it is another process than the one that made the folder (reused pid).
        let reused = try folder("kiln-bench-cache-\(me.pid)-\(me.start + 1)-0123abcd")
        let live = try folder("kiln-bench-cache-\(me.pid)-\(me.start)-0123abcd")
        let otherPrefix = try folder("kiln-recipe-\(dead.pid)-\(dead.start)-0123abcd")
        let notOurs = try folder("kiln-bench-cache-\(dead.pid)-\(dead.start)-precious")
        let legacy = try folder("kiln-bench-cache-\(UUID().uuidString)")
        // Made by a process that could not read its own start time: its owner cannot be told.
        let unknownStart = try folder("kiln-bench-cache-\(dead.pid)-0-0123abcd")
        // A symbolic link with a matching name must not lead the sweep into its target.
        let victim = try folder("victim")
        let link = dir.appendingPathComponent("kiln-bench-cache-\(dead.pid)-\(dead.start)-feedf00d")
        try fm.createSymbolicLink(at: link, withDestinationURL: victim)
        let file = dir.appendingPathComponent("kiln-bench-cache-\(dead.pid)-\(dead.start)-0badf00d")
        try Data("a file".utf8).write(to: file)

        let removed = TemporaryFolders.sweepAbandoned(prefix: "kiln-bench-cache", in: dir)
        #expect(removed.sorted() == [abandoned.path, reused.path].sorted())
        #expect(!Self.exists(abandoned) && !Self.exists(reused))
        for kept in [live, otherPrefix, notOurs, legacy, unknownStart, victim, file] { #expect(Self.exists(kept), "\(kept.lastPathComponent) was removed") }
        #expect(Self.exists(victim.appendingPathComponent("library.so")))
        #expect((try? fm.destinationOfSymbolicLink(atPath: link.path)) == victim.path)
    }

    @Test func createdFoldersArePrivateNamedAfterTheirOwnerAndRemovedOnRequest() throws {
        let folders = TemporaryFolders()
        let a = try folders.create(prefix: "kiln-test-folder")
        let b = try folders.create(prefix: "kiln-test-folder")
        defer { folders.removeAll() }
        #expect(a != b)
        #expect(a.lastPathComponent.hasPrefix("kiln-test-folder-\(getpid())-\(try #require(Self.startTime(getpid())))-"))
        let mode = try #require(try FileManager.default.attributesOfItem(atPath: a.path)[.posixPermissions] as? Int)
        #expect(mode & 0o077 == 0, "mode \(String(mode, radix: 8))")
        // Its owner (this process) runs, so no sweep removes it.
        #expect(TemporaryFolders.sweepAbandoned(prefix: "kiln-test-folder").isEmpty)
        #expect(folders.removeAll() == [a.path, b.path].sorted())
        #expect(!Self.exists(a) && !Self.exists(b))
    }
}
