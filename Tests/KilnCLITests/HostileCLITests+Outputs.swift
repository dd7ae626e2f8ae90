import Foundation
import Testing

/// Output paths: a node that is not a regular file is never replaced (exit 73), an output
/// that is also an input is refused before any work (exit 64, naming both, compared by
/// device and inode), and long names and long directory paths work.
extension HostileCLITests {
    /// The file type and inode at `path` (not following a final symlink).
    static func node(_ path: String) -> String {
        var st = stat()
        guard lstat(path, &st) == 0 else { return "absent" }
        return "\(st.st_mode & S_IFMT) \(st.st_ino)"
    }

    @Test func outputsThatAreNotRegularFilesAreNeverReplaced() throws {
        let dir = try Self.scratch()
        defer { try? FileManager.default.removeItem(at: dir) }
        let fifo = dir.path + "/fifo"
        #expect(mkfifo(fifo, 0o644) == 0)
        let null = dir.path + "/null"
        try FileManager.default.createSymbolicLink(atPath: null, withDestinationPath: "/dev/null")
        try "# A\n\n```swift\nprint(1)\n```\n".write(toFile: dir.path + "/a.md", atomically: true, encoding: .utf8)
        let devNull = Self.node("/dev/null")
        let compile = try Kiln.run(["compile", Self.library32.program, "--output", fifo])
        #expect(compile.status == 73)
        #expect(compile.output == "error: cannot write \(fifo): it is not a regular file (a FIFO)\nSuggested fix: give --output the path of a regular file (Kiln writes a temporary file and renames it over the destination, which would replace a device or FIFO)\n")
        for target in [fifo, null] {
            let before = Self.node(target)
            let what = target == fifo ? "a FIFO" : "a character device"
            for args in [["compile", Self.library32.program, "--output", target],
                         ["infer", "--batch", "1", "--output", target],
                         ["export", "--image-size", "32", "--output", target],
                         ["verify", dir.path + "/a.md", "--junit", target]] {
                let r = try Kiln.run(args)
                #expect(r.status == 73, "\(args): \(r.output)")
                #expect(r.output.contains("\(target): it is not a regular file (\(what))"), "\(args): \(r.output)")
                #expect(Self.node(target) == before)
            }
        }
        #expect(Self.node("/dev/null") == devNull)
    }

    @Test func outputThatIsAnInputIsRefusedBeforeAnyWork() throws {
        let dir = try Self.scratch()
        defer { try? FileManager.default.removeItem(at: dir) }
        let kep = dir.path + "/r18.kep"
        try FileManager.default.copyItem(atPath: Self.library32.program, toPath: kep)
        let cases = dir.path + "/cases.safetensors"
        let weights = dir.path + "/w.safetensors"
        let r = try Kiln.run(["export", "--image-size", "32", "--output", dir.path + "/m.kep"])
        #expect(r.status == 0)
        let x = try Kiln.run(["infer", "--batch", "1", "--output", cases])   // some tensor to read
        #expect(x.status == 0)
        try FileManager.default.copyItem(atPath: cases, toPath: weights)
        try "# A\n\n```swift\nprint(1)\n```\n".write(toFile: dir.path + "/a.md", atomically: true, encoding: .utf8)
        let before = Hostile.contents(dir.path)
        // Another spelling of the same file, and a hard link: compared by device and inode.
        try FileManager.default.linkItem(atPath: kep, toPath: dir.path + "/hard.kep")
        let expectations: [([String], String)] = [
            (["compile", kep, "--output", dir.path + "/./r18.kep"],
             "error: --output \(dir.path)/./r18.kep is the same file as the program \(kep): writing it would destroy the input\nSuggested fix: give --output another file, e.g. \(dir.path)/r18.so\n"),
            (["compile", kep, "--output", dir.path + "/hard.kep"],
             "error: --output \(dir.path)/hard.kep is the same file as the program \(kep): writing it would destroy the input\nSuggested fix: give --output another file, e.g. \(dir.path)/r18.so\n"),
            (["infer", "--input", cases + ":logits", "--output", cases],
             "error: --output \(cases) is the same file as the input \(cases): writing it would destroy the input\nSuggested fix: give --output another file, e.g. \(dir.path)/logits.safetensors\n"),
            (["export", "--weights", weights, "--output", weights],
             "error: --output \(weights) is the same file as the weights \(weights): writing it would destroy the input\nSuggested fix: give --output another file, e.g. \(dir.path)/model.kep\n"),
            (["verify", dir.path, "--junit", dir.path + "/a.md"],
             "error: --junit \(dir.path)/a.md is the same file as the recipe \(dir.path)/a.md: writing it would destroy the input\nSuggested fix: give --junit another file, e.g. \(dir.path)/junit.xml\n"),
        ]
        for (args, expected) in expectations {
            let r = try Kiln.run(args)
            #expect(r.status == 64, "\(args): \(r.output)")
            #expect(r.output == expected, "\(args)")
        }
        var after = Hostile.contents(dir.path)
        after["hard.kep"] = nil
        #expect(after == before)
    }

    @Test func longOutputNamesAndDirectoriesWork() throws {
        let dir = try Self.scratch()
        defer { try? FileManager.default.removeItem(at: dir) }
        let name = String(repeating: "m", count: 252) + ".so"
        let r = try Kiln.run(["compile", Self.library32.program, "--output", dir.path + "/" + name])
        #expect(r.status == 0, "\(r.output)")
        // A directory path past 1,000 bytes.
        var deep = dir.path
        while deep.utf8.count < 1_100 { deep += "/" + String(repeating: "d", count: 200) }
        try FileManager.default.createDirectory(atPath: deep, withIntermediateDirectories: true)
        let d = try Kiln.run(["compile", Self.library32.program, "--output", deep + "/model.so"])
        #expect(d.status == 0, "\(d.output)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: deep) == ["model.so"])
        let all = FileManager.default.enumerator(atPath: dir.path)?.allObjects as? [String] ?? []
        #expect(all.filter { $0.contains(".tmp-") }.isEmpty, "\(all)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path).sorted() == [String(repeating: "d", count: 200), name].sorted())
    }
}

/// Every regular file under a folder, by relative path.
enum Hostile {
    static func contents(_ dir: String) -> [String: Data] {
        var out: [String: Data] = [:]
        for case let rel as String in FileManager.default.enumerator(atPath: dir)?.allObjects ?? [] {
            var isDir: ObjCBool = false
            if FileManager.default.fileExists(atPath: dir + "/" + rel, isDirectory: &isDir), !isDir.boolValue {
                out[rel] = FileManager.default.contents(atPath: dir + "/" + rel)
            }
        }
        return out
    }
}

extension HostileCLITests {
    /// `prebuild-kernels --into` a regular file or under /dev/null: exit 73 before any compile,
    /// and the file is left as it was.
    @Test func prebuildIntoSomethingThatIsNotAFolderIsRefused() throws {
        let dir = try Self.scratch()
        defer { try? FileManager.default.removeItem(at: dir) }
        let file = dir.path + "/a-file"
        try "keep".write(toFile: file, atomically: true, encoding: .utf8)
        for target in [file, "/dev/null/objects"] {
            let r = try Kiln.run(["prebuild-kernels", "--into", target])
            #expect(r.status == 73, "\(target): \(r.output)")
            #expect(r.output.contains("cannot write \(target)"), "\(r.output)")
        }
        #expect(try String(contentsOfFile: file, encoding: .utf8) == "keep")
    }
}
