import Foundation
import Testing
@testable import Kiln

/// Destinations the atomic writer must not replace (a device, a FIFO, a symlink to a device,
/// a directory), and destinations it must handle: names of 231–255 bytes, directories whose
/// path is longer than 1,000 (and than PATH_MAX, 4,096) bytes.
@Suite struct HostileOutputPathTests {
    /// What a non-regular destination is, for the comparisons after a refusal.
    static func describe(_ path: String) -> String {
        var st = stat()
        guard lstat(path, &st) == 0 else { return "absent" }
        let link = (st.st_mode & S_IFMT) == S_IFLNK ? ((try? FileManager.default.destinationOfSymbolicLink(atPath: path)) ?? "?") : ""
        return "\(st.st_mode & S_IFMT) \(st.st_ino) \(link)"
    }

    @Test func destinationThatIsNotARegularFileIsRefused() throws {
        let dir = Hostile.directory()
        let fifo = dir.appendingPathComponent("fifo").path
        #expect(mkfifo(fifo, 0o644) == 0)
        let nullLink = dir.appendingPathComponent("null-link").path
        try FileManager.default.createSymbolicLink(atPath: nullLink, withDestinationPath: "/dev/null")
        let folder = dir.appendingPathComponent("folder").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: false)
        let devNull = Self.describe("/dev/null")
        for (path, what) in [(fifo, "a FIFO"), (nullLink, "a character device"), (folder, "a directory")] {
            let before = Self.describe(path)
            let expected = AtomicFileError(URL(fileURLWithPath: path), .notRegularFile, reason: what)
            #expect(throws: expected) { try AtomicFile.write(Data("x".utf8), to: URL(fileURLWithPath: path)) }
            #expect(expected.description == "cannot write \(path): it is not a regular file (\(what))")
            #expect(throws: expected) { try AtomicFile.copy(from: URL(fileURLWithPath: Hostile.tinyLibrary), to: URL(fileURLWithPath: path)) }
            let s = Hostile.expectFailure(SafetensorsError.self, .output, naming: [path, "is not a regular file"]) {
                try Safetensors.write([("x", Tensor.zeros([1]))], to: URL(fileURLWithPath: path))
            }
            #expect(s == .writeFailed(path: path, reason: "it is not a regular file (\(what))"))
            // aotCompile refuses before compiling (the check comes first, so no compiler runs).
            let c = Hostile.expectFailure(CompileError.self, .output, naming: [path, "is not a regular file"]) {
                var o = CompileFixtures.options(path)
                o.compiler = "/nonexistent/cc"
                try aotCompile(Hostile.tinyProgram, exampleInputs: [Hostile.tinyExample], options: o)
            }
            #expect(c == .writeFailed(path: path, message: "it is not a regular file (\(what))"))
            #expect(Self.describe(path) == before, "\(path) changed")
        }
        #expect(Self.describe("/dev/null") == devNull)
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path).sorted() == ["fifo", "folder", "null-link"])
    }

    @Test(arguments: [231, 240, 255])
    func longFileNamesWork(length: Int) throws {
        let dir = Hostile.directory("longName\(length)")
        let name = String(repeating: "n", count: length - 3) + ".so"
        let dest = dir.appendingPathComponent(name)
        try AtomicFile.write(Data("first".utf8), to: dest)
        try AtomicFile.copy(from: URL(fileURLWithPath: Hostile.tinyLibrary), to: dest)
        #expect(try Data(contentsOf: dest) == Data(contentsOf: URL(fileURLWithPath: Hostile.tinyLibrary)))
        try Safetensors.write([("x", Tensor.zeros([2]))], to: dest)
        #expect(try SafetensorsFile(contentsOf: dest).tensorNames == ["x"])
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path) == [name])
    }

    @Test(arguments: [1_100, 4_500])
    func longDirectoryPathsWorkAndLeaveNothingBehind(pathLength: Int) throws {
        let base = Hostile.directory("longPath\(pathLength)")
        // Components of 200 bytes until the directory path is longer than `pathLength`.
        var components: [String] = []
        var path = base.path
        while path.utf8.count <= pathLength {
            let c = String(repeating: Character(String(components.count % 10)), count: 200)
            components.append(c)
            path += "/" + c
        }
        // mkdir one level at a time, relative to the previous (the whole path may exceed PATH_MAX).
        var fd = open(base.path, O_RDONLY | O_DIRECTORY)
        for c in components {
            #expect(mkdirat(fd, c, 0o755) == 0)
            let next = openat(fd, c, O_RDONLY | O_DIRECTORY)
            close(fd)
            fd = next
        }
        close(fd)
        // FileManager cannot delete a path longer than PATH_MAX: a chain left here kept the whole
        // test cache directory (gigabytes) from being removed. removeTree falls back to rm -rf.
        defer { CompileFixtures.removeTree(base.path) }
        let dest = URL(fileURLWithPath: path + "/model.so")
        try AtomicFile.write(Data("a library".utf8), to: dest)
        try AtomicFile.copy(from: URL(fileURLWithPath: Hostile.tinyLibrary), to: dest)
        try AtomicFile.write(Data("a newer library".utf8), to: dest)
        // Read back relative to the deepest directory: every file in the chain is accounted for.
        var listing: [String] = []
        fd = open(base.path, O_RDONLY | O_DIRECTORY)
        for (i, c) in components.enumerated() {
            let next = openat(fd, c, O_RDONLY | O_DIRECTORY)
            #expect(next >= 0)
            close(fd)
            fd = next
            if i < components.count - 1 { continue }
        }
        if let d = fdopendir(dup(fd)) {
            while let e = readdir(d) {
                let name = withUnsafeBytes(of: e.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
                if name != "." && name != ".." { listing.append(name) }
            }
            closedir(d)
        }
        let file = openat(fd, "model.so", O_RDONLY)
        var bytes = [UInt8](repeating: 0, count: 64)
        let n = read(file, &bytes, 64)
        close(file)
        close(fd)
        #expect(listing == ["model.so"])
        #expect(String(decoding: bytes.prefix(max(n, 0)), as: UTF8.self) == "a newer library")
        // Nothing was written beside the chain (e.g. at a truncated path).
        #expect(try FileManager.default.contentsOfDirectory(atPath: base.path) == [components[0]])
        #expect(try FileManager.default.contentsOfDirectory(atPath: FileManager.default.currentDirectoryPath).allSatisfy { !$0.contains(".tmp-") })
    }
}
