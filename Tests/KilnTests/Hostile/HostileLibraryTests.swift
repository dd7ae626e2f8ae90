import Foundation
import Testing
@testable import Kiln

/// Hostile libraries given to aotLoad, and libraries deleted or replaced while loaded.
///
/// `LoaderTests` covers a missing file, a non-ELF file, a truncated library, libm and an
/// ABI-999 library by error case; here each gets its exact error and exit code, plus an empty
/// file, libc (already loaded into the process) and a Kiln-ABI library missing `kiln_run`.
///
/// Behaviour while loaded (documented in the README):
/// - deleted (unlinked): the loaded model keeps working, its mapping holds the inode; loading
///   the path again is `fileNotFound`;
/// - replaced by rename: the loaded model keeps running the old code; loading the path again
///   loads the new file (glibc's dlopen would hand back the old one by name; Kiln checks);
/// - overwritten in place: undefined (the mapping would change under running code). Kiln never
///   does it: aotCompile installs its output by temporary file + rename.
@Suite struct HostileLibraryTests {
    private func builtLibrary(_ source: String, in dir: URL, name: String) throws -> String {
        try Data(source.utf8).write(to: dir.appendingPathComponent("\(name).c"))
        let r = try Subprocess.run(["cc", "-shared", "-fPIC", "\(name).c", "-o", "\(name).so"], in: dir)
        try #require(r.succeeded, "\(r.output)")
        return dir.appendingPathComponent("\(name).so").path
    }

    @Test func foreignAndDamagedFilesGetExactErrors() throws {
        let dir = Hostile.directory()
        let text = dir.appendingPathComponent("text.so").path
        try Data("not a library\n".utf8).write(to: URL(fileURLWithPath: text))
        let empty = dir.appendingPathComponent("empty.so").path
        try Data().write(to: URL(fileURLWithPath: empty))
        let whole = try Data(contentsOf: URL(fileURLWithPath: Hostile.tinyLibrary))
        let half = dir.appendingPathComponent("half.so").path
        try whole.prefix(whole.count / 2).write(to: URL(fileURLWithPath: half))
        let abi = try builtLibrary("int kiln_abi_version(void) { return 999; }\n", in: dir, name: "abi999")
        let partial = try builtLibrary("int kiln_abi_version(void) { return 1; }\n", in: dir, name: "partial")
        let before = Hostile.contents(of: dir)

        var cases: [(String, LoadError, FailureClass)] = [
            (text, .notELF(path: text), .load),
            (empty, .notELF(path: empty), .load),
            (abi, .abiVersion(path: abi, found: 999, supported: KilnModelABI.version), .load),
            (partial, .malformed(path: partial, message: "part of the kiln_model.h ABI is missing"), .load),
            (dir.appendingPathComponent("absent.so").path, .fileNotFound(path: dir.appendingPathComponent("absent.so").path), .badInput),
        ]
        for name in ["libc.so.6", "libm.so.6"] {
            if let lib = ["/lib/x86_64-linux-gnu/", "/usr/lib/x86_64-linux-gnu/", "/lib64/", "/usr/lib64/"].map({ $0 + name })
                .first(where: { FileManager.default.fileExists(atPath: $0) }) {
                cases.append((lib, .notKilnLibrary(path: lib), .load))
            } else {
                print("skipping the \(name) case: not found in the usual library folders")
            }
        }
        for (path, expected, failureClass) in cases {
            let e = Hostile.expectFailure(LoadError.self, failureClass, naming: [path]) { _ = try aotLoad(path) }
            #expect(e == expected)
        }
        // The truncated size depends on the build; the case and numbers must say why.
        let t = Hostile.expectFailure(LoadError.self, .load, naming: [half, "truncated"]) { _ = try aotLoad(half) }
        guard case let .truncated(_, size, needed)? = t else { Issue.record("expected .truncated, got \(String(describing: t))"); return }
        #expect(size == whole.count / 2 && needed > size)
        #expect(Hostile.contents(of: dir) == before, "loading must never write")
    }

    @Test func deletedWhileLoadedKeepsWorkingAndReloadingSaysNoSuchFile() throws {
        let dir = Hostile.directory()
        let path = dir.appendingPathComponent("model.so")
        try FileManager.default.copyItem(at: URL(fileURLWithPath: Hostile.tinyLibrary), to: path)
        let model = try aotLoad(path.path)
        let x = Tensor.randn([2, 3, 8, 8], seed: 31)
        let before = try model(x)
        try FileManager.default.removeItem(at: path)
        #expect(try model(x).scalars.map(\.bitPattern) == before.scalars.map(\.bitPattern))
        let e = Hostile.expectFailure(LoadError.self, .badInput, naming: [path.path]) { _ = try aotLoad(path.path) }
        #expect(e == .fileNotFound(path: path.path))
    }

    @Test func replacedByRenameWhileLoadedLoadsTheNewFileAndKeepsTheOld() throws {
        let dir = Hostile.directory()
        let path = dir.appendingPathComponent("model.so")
        try FileManager.default.copyItem(at: URL(fileURLWithPath: CompileFixtures.smallLibrary), to: path)
        let old = try aotLoad(path.path)
        let x = Tensor.randn([1, 3, 32, 32], seed: 32)
        let oldResult = try old(x)

        // Replace it atomically with another model, as `kiln compile --output` does.
        let next = dir.appendingPathComponent(".model.so.new")
        try FileManager.default.copyItem(at: URL(fileURLWithPath: Hostile.tinyLibrary), to: next)
        #expect(rename(next.path, path.path) == 0)
        let new = try aotLoad(path.path)
        #expect(new.graphHash == Hostile.tinyProgram.graphHash, "aotLoad returned the replaced library still in memory")
        #expect(old.graphHash == CompileFixtures.smallProgram.graphHash)
        let y = Tensor.randn([2, 3, 8, 8], seed: 33)
        #expect(try new(y).shape == [2, 2])
        #expect(try old(x).scalars.map(\.bitPattern) == oldResult.scalars.map(\.bitPattern))
        // Nothing of the alias used to load it is left behind.
        #expect(Hostile.contents(of: dir).keys.sorted() == ["model.so"])
    }

    @Test func recompilingOverALoadedLibraryReplacesItsInodeNeverItsBytes() throws {
        let dir = Hostile.directory()
        let path = dir.appendingPathComponent("tiny.so").path
        let options = CompileFixtures.options(path)
        try aotCompile(Hostile.tinyProgram, exampleInputs: [Hostile.tinyExample], options: options)
        let loaded = try aotLoad(path)
        let x = Tensor.randn([3, 3, 8, 8], seed: 34)
        let first = try loaded(x)
        func inode() throws -> UInt64 { try #require(try FileManager.default.attributesOfItem(atPath: path)[.systemFileNumber] as? UInt64) }
        let before = try inode()
        try aotCompile(Hostile.tinyProgram, exampleInputs: [Hostile.tinyExample], options: options)
        #expect(try inode() != before, "aotCompile must install by rename, never write into a library that may be loaded")
        #expect(try loaded(x).scalars.map(\.bitPattern) == first.scalars.map(\.bitPattern))
        #expect(try aotLoad(path)(x).scalars.map(\.bitPattern) == first.scalars.map(\.bitPattern))
        #expect(Hostile.contents(of: dir).keys.sorted() == ["tiny.so"], "no temporary file may be left")
    }
}
