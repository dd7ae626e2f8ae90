import Foundation
import Testing
@testable import Kiln

/// ``AtomicFile``: the destination is either untouched or the whole new file, and no
/// temporary file is ever left beside it.
@Suite struct AtomicFileTests {
    /// A fresh directory, removed by the caller.
    static func scratch() throws -> URL {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("kiln-atomic-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        return dir
    }

    static func names(_ dir: URL) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: dir.path)) ?? []).sorted()
    }

    @Test func writeReplacesTheFileAndLeavesNoTemporary() throws {
        let dir = try Self.scratch()
        defer { try? FileManager.default.removeItem(at: dir) }
        let url = dir.appendingPathComponent("a.bin")
        try AtomicFile.write(Data("old".utf8), to: url)
        try AtomicFile.write(Data("new".utf8), to: url, durable: true)
        #expect(try Data(contentsOf: url) == Data("new".utf8))
        #expect(Self.names(dir) == ["a.bin"])
    }

    @Test func aFailingBodyKeepsTheOldFile() throws {
        let dir = try Self.scratch()
        defer { try? FileManager.default.removeItem(at: dir) }
        let url = dir.appendingPathComponent("a.bin")
        try AtomicFile.write(Data("old".utf8), to: url)
        struct Boom: Error, CustomStringConvertible { var description: String { "boom" } }
        do {
            try AtomicFile.write(to: url) { handle in
                try handle.write(contentsOf: Data("half".utf8))
                throw Boom()
            }
            Issue.record("the body's error must propagate")
        } catch {
            #expect(error.kind == .write && error.reason == "boom")
            #expect(error.description == "cannot write \(url.path): boom")
        }
        #expect(try Data(contentsOf: url) == Data("old".utf8))
        #expect(Self.names(dir) == ["a.bin"])
    }

    @Test func aMissingDirectoryIsATypedErrorNamingIt() throws {
        let dir = try Self.scratch()
        defer { try? FileManager.default.removeItem(at: dir) }
        let url = dir.appendingPathComponent("no/such/a.bin")
        #expect(throws: AtomicFileError(url, .createTemporary, reason: "No such file or directory")) {
            try AtomicFile.write(Data("x".utf8), to: url)
        }
        #expect(Self.names(dir).isEmpty)
    }

    /// A directory at the destination is refused before a temporary file exists (see
    /// HostileOutputPathTests for devices, FIFOs and symlinks to them).
    @Test func renameOverADirectoryFailsAndRemovesTheTemporary() throws {
        let dir = try Self.scratch()
        defer { try? FileManager.default.removeItem(at: dir) }
        let url = dir.appendingPathComponent("d")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: false)
        do {
            try AtomicFile.write(Data("x".utf8), to: url)
            Issue.record("renaming a file over a directory must fail")
        } catch {
            #expect(error.kind == .notRegularFile)
            #expect(error.message == "it is not a regular file (a directory)")
        }
        #expect(Self.names(dir) == ["d"])
    }

    @Test func copyKeepsContentAndModeAndMoveRemovesTheSource() throws {
        let dir = try Self.scratch()
        defer { try? FileManager.default.removeItem(at: dir) }
        let source = dir.appendingPathComponent("s")
        try AtomicFile.write(Data("lib".utf8), to: source)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: source.path)
        let copy = dir.appendingPathComponent("c")
        try AtomicFile.copy(from: source, to: copy)
        #expect(try Data(contentsOf: copy) == Data("lib".utf8))
        let mode = try FileManager.default.attributesOfItem(atPath: copy.path)[.posixPermissions] as? Int
        #expect(mode == 0o755)
        let moved = dir.appendingPathComponent("m")
        try AtomicFile.move(from: copy, to: moved)
        #expect(Self.names(dir) == ["m", "s"])
        #expect(throws: AtomicFileError.self) { try AtomicFile.copy(from: dir.appendingPathComponent("absent"), to: copy) }
        #expect(Self.names(dir) == ["m", "s"])
    }
}

@Suite struct SwiftLiteralTests {
    @Test func escapesWhatWouldBreakALiteral() {
        #expect(swiftStringLiteral("batch") == #""batch""#)
        #expect(swiftStringLiteral(#"a"b\c"#) == #""a\"b\\c""#)
        #expect(swiftStringLiteral("l1\nl2\r\n\t\0\u{1B}é") == #""l1\nl2\r\n\t\0\u{1b}é""#)
    }
}
