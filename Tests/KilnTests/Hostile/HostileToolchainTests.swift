import Foundation
import Testing
@testable import Kiln

/// A hostile toolchain or file system under aotCompile. Each case asserts the typed error,
/// its exit code, that the message names the path or compiler, that no half-written library
/// is left at the output path (an existing library there stays byte-identical) and that
/// nothing broken enters the compile cache.
///
/// The compiler is set per compile (`AOTCompileOptions.compiler`, which stands for `CC`), so
/// these tests never change the process environment other tests compile under.
@Suite struct HostileToolchainTests {
    /// A scratch folder with `out/model.so` holding an older library and its own empty cache.
    struct Scene {
        let dir: URL, output: URL, cache: URL
        let existing: Data

        init(_ name: String = #function) throws {
            dir = Hostile.directory(name)
            output = dir.appendingPathComponent("out/model.so")
            cache = dir.appendingPathComponent("cache")
            try FileManager.default.createDirectory(at: output.deletingLastPathComponent(), withIntermediateDirectories: true)
            existing = try Data(contentsOf: URL(fileURLWithPath: Hostile.tinyLibrary)).prefix(4096) + Data("older library".utf8)
            try existing.write(to: output)
        }

        func options(compiler: String? = nil, output: String? = nil, cache: String? = nil) -> AOTCompileOptions {
            var o = CompileFixtures.options(output ?? self.output.path, cache: cache ?? self.cache.path)
            o.compiler = compiler
            return o
        }

        /// The output folder holds exactly the older library, unchanged; the cache holds no library.
        func expectNothingLeft(sourceLocation: SourceLocation = #_sourceLocation) {
            #expect(Hostile.contents(of: output.deletingLastPathComponent()) == ["model.so": existing],
                    "the output folder must hold only the untouched older library", sourceLocation: sourceLocation)
            let libraries = Hostile.contents(of: cache.appendingPathComponent("libraries"))
            #expect(libraries.isEmpty, "nothing may enter the cache: \(libraries.keys.sorted())", sourceLocation: sourceLocation)
        }

        func compile(_ options: AOTCompileOptions) throws {
            try aotCompile(Hostile.tinyProgram, exampleInputs: [Hostile.tinyExample], options: options)
        }
    }

    @Test func missingCompiler() throws {
        let s = try Scene()
        let cc = s.dir.appendingPathComponent("no-such-cc").path
        let e = Hostile.expectFailure(CompileError.self, .compile, naming: [cc]) { try s.compile(s.options(compiler: cc)) }
        guard case let .compilerNotFound(tried, message)? = e else { Issue.record("expected compilerNotFound, got \(String(describing: e))"); return }
        #expect(tried == cc)
        #expect(message.contains("exited with status 127") && message.contains("No such file or directory"), "\(message)")
        s.expectNothingLeft()
    }

    @Test func compilerThatFails() throws {
        let s = try Scene()
        // Fails even `--version`: not usable as a compiler at all.
        let broken = try Hostile.script("broken-cc", in: s.dir, #"echo "broken-cc: fatal error: licence expired" >&2; exit 1"#)
        let b = Hostile.expectFailure(CompileError.self, .compile, naming: [broken, "licence expired", "status 1"]) {
            try s.compile(s.options(compiler: broken))
        }
        guard case .compilerNotFound? = b else { Issue.record("expected compilerNotFound, got \(String(describing: b))"); return }
        // Answers `--version`, then fails the build: its message and the kept sources are shown.
        let failing = try Hostile.fakeCompiler("failing-cc", in: s.dir, build: #"echo "model.c:1:1: error: fake failure" >&2; exit 1"#)
        let f = Hostile.expectFailure(CompileError.self, .compile, naming: [failing, "model.c:1:1: error: fake failure"]) {
            try s.compile(s.options(compiler: failing))
        }
        guard case let .compilerFailed(_, _, sources)? = f else { Issue.record("expected compilerFailed, got \(String(describing: f))"); return }
        #expect(FileManager.default.fileExists(atPath: sources + "/model.c") && FileManager.default.fileExists(atPath: sources + "/build.sh"))
        s.expectNothingLeft()
    }

    @Test func compilerThatWritesNoOrPartialLibrary() throws {
        let s = try Scene()
        let whole = Hostile.tinyLibrary
        let cases: [(String, String, String)] = [
            ("silent-cc", "exit 0", "it exited 0, but it wrote no model.so"),
            ("text-cc", #"echo "not a library" > "$out"; exit 0"#, "it exited 0, but model.so is not a shared library"),
            ("half-cc", #"head -c 20000 "\#(whole)" > "$out"; exit 0"#, "it exited 0, but model.so is truncated"),
            // A disk that fills mid-write: partial output and the compiler's own message.
            ("full-cc", #"head -c 20000 "\#(whole)" > "$out"; echo "ld: final link failed: No space left on device" >&2; exit 1"#,
             "No space left on device"),
        ]
        for (name, build, says) in cases {
            let cc = try Hostile.fakeCompiler(name, in: s.dir, build: build)
            let e = Hostile.expectFailure(CompileError.self, .compile, naming: [cc, says]) { try s.compile(s.options(compiler: cc)) }
            guard case .compilerFailed? = e else { Issue.record("\(name): expected compilerFailed, got \(String(describing: e))"); continue }
            s.expectNothingLeft()
        }
    }

    @Test func unwritableOutputPath() throws {
        let s = try Scene()
        // A path under a regular file cannot be created, even by root (which ignores modes).
        let blocker = s.dir.appendingPathComponent("a-file")
        try Data("x".utf8).write(to: blocker)
        let output = blocker.appendingPathComponent("model.so").path
        let e = Hostile.expectFailure(CompileError.self, .output, naming: [output, "Not a directory"]) {
            try s.compile(s.options(output: output, cache: CompileFixtures.cacheDirectory))
        }
        guard case .writeFailed(output, _)? = e else { Issue.record("expected writeFailed(\(output)), got \(String(describing: e))"); return }
        #expect(try Data(contentsOf: blocker) == Data("x".utf8))
        s.expectNothingLeft()
    }

    @Test func unwritableCacheDirectory() throws {
        let s = try Scene()
        let blocker = s.dir.appendingPathComponent("cache-file")
        try Data("x".utf8).write(to: blocker)
        let cache = blocker.appendingPathComponent("kiln").path
        let e = Hostile.expectFailure(CompileError.self, .output, naming: [cache, "Not a directory"]) { try s.compile(s.options(cache: cache)) }
        guard case .writeFailed? = e else { Issue.record("expected writeFailed, got \(String(describing: e))"); return }
        s.expectNothingLeft()
    }

    @Test func fullDisk() throws {
        let s = try Scene()
        let mount = s.dir.appendingPathComponent("tiny-disk")
        try FileManager.default.createDirectory(at: mount, withIntermediateDirectories: true)
        let r = try Subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", mount.path])
        guard r.succeeded else {
            // Without mount rights the partial-write cases of compilerThatWritesNoOrPartialLibrary stand in.
            print("skipping fullDisk: cannot mount a 64 KiB tmpfs here (\(r.output.trimmingCharacters(in: .whitespacesAndNewlines)))")
            return
        }
        defer { _ = try? Subprocess.run(["umount", mount.path]) }
        // The output on the full disk: copying the library from the cache fails part-way.
        let output = mount.appendingPathComponent("model.so")
        let existing = Data("older library".utf8)
        try existing.write(to: output)
        let e = Hostile.expectFailure(CompileError.self, .output, naming: [output.path, "No space left on device"]) {
            try s.compile(s.options(output: output.path, cache: CompileFixtures.cacheDirectory))
        }
        guard case .writeFailed? = e else { Issue.record("expected writeFailed, got \(String(describing: e))"); return }
        #expect(Hostile.contents(of: mount) == ["model.so": existing], "the older library must stay and the temporary file go")
        // The cache on the full disk: writing the sources fails; nothing half-written is kept.
        let cache = mount.appendingPathComponent("cache")
        let c = Hostile.expectFailure(CompileError.self, .output, naming: [cache.path, "No space left on device"]) {
            try s.compile(s.options(cache: cache.path))
        }
        guard case .writeFailed? = c else { Issue.record("expected writeFailed, got \(String(describing: c))"); return }
        #expect(Hostile.contents(of: mount) == ["model.so": existing])
        s.expectNothingLeft()
    }
}
