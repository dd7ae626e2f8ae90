import Foundation
import Testing
@testable import Kiln

/// Helpers of the hostile-input suites: scratch directories, what is on disk, the typed-error
/// check every case makes, fake compilers, a tiny compiled library.
enum Hostile {
    /// A fresh scratch directory for one test (inside the aotCompile tests' per-process folder).
    static func directory(_ name: String = #function) -> URL { CompileFixtures.scratch("hostile-" + name) }

    /// Every regular file under `dir` (relative path → bytes): compared before and after a
    /// failure to show that nothing was lost, left half-written or added.
    static func contents(of dir: URL) -> [String: Data] {
        var out: [String: Data] = [:]
        let base = dir.standardizedFileURL.path
        guard let walk = FileManager.default.enumerator(atPath: base) else { return out }
        for case let rel as String in walk {
            var isDir: ObjCBool = false
            let full = base + "/" + rel
            guard FileManager.default.fileExists(atPath: full, isDirectory: &isDir), !isDir.boolValue else { continue }
            out[rel] = FileManager.default.contents(atPath: full) ?? Data()
        }
        return out
    }

    /// Asserts that `body` throws an `E` of `failureClass` (and so its exit code), whose
    /// message contains every string of `naming` and ends with a "Suggested fix:" line.
    /// Returns the error for exact comparisons.
    @discardableResult
    static func expectFailure<E: KilnError>(_: E.Type, _ failureClass: FailureClass, naming: [String] = [],
                                           sourceLocation: SourceLocation = #_sourceLocation,
                                           _ body: () throws -> Void) -> E? {
        do {
            try body()
            Issue.record("expected \(E.self) (\(failureClass)), but nothing was thrown", sourceLocation: sourceLocation)
            return nil
        } catch let e as E {
            #expect(e.failureClass == failureClass, "\(e)", sourceLocation: sourceLocation)
            #expect(e.failureClass.exitCode == failureClass.rawValue, sourceLocation: sourceLocation)
            for s in naming { #expect(e.description.contains(s), "the message should name \(s): \(e)", sourceLocation: sourceLocation) }
            #expect(e.suggestion?.hasPrefix("Suggested fix: ") == true, "no suggested fix: \(e)", sourceLocation: sourceLocation)
            #expect(!e.description.contains("Error Domain="), "a raw Foundation error is not a message: \(e)", sourceLocation: sourceLocation)
            #expect(e.fullDescription.hasSuffix(e.suggestion ?? "\u{0}"), sourceLocation: sourceLocation)
            return e
        } catch {
            Issue.record("expected \(E.self), got \(type(of: error)): \(error)", sourceLocation: sourceLocation)
            return nil
        }
    }

    /// Writes a shell script (a fake compiler) and returns the command running it, `/bin/sh
    /// PATH` (`CC` may carry arguments). Not exec'ed directly: a process forked concurrently by
    /// another test can still hold the just-written file open, and exec would fail with
    /// "Text file busy".
    static func script(_ name: String, in dir: URL, _ body: String) throws -> String {
        let url = dir.appendingPathComponent(name)
        try Data(("#!/bin/sh\n" + body + "\n").utf8).write(to: url)
        return "/bin/sh " + url.path
    }

    /// A fake compiler: answers `--version` like a compiler, otherwise runs `build` with `$out`
    /// set to the `-o` argument.
    static func fakeCompiler(_ name: String, in dir: URL, build: String) throws -> String {
        try script(name, in: dir, """
            if [ "$1" = "--version" ]; then echo "\(name) 1.0 (a fake compiler)"; exit 0; fi
            out=""; prev=""
            for a in "$@"; do [ "$prev" = "-o" ] && out="$a"; prev="$a"; done
            \(build)
            """)
    }

    /// The tiny model (conv, batch norm, relu, max pool, average pool, flatten, linear; 8×8
    /// inputs, batch 1…4) with a NaN and a +Inf planted in `fc`'s bias (output columns 0 and 1)
    /// and a NaN in one first-layer filter weight.
    nonisolated(unsafe) static let tinyModel: Sequential = {
        let m = ExportFixtures.smallModel(seed: 11)
        let fc = m.namedParameters().first { $0.0 == "6.bias" }!.1
        fc.value = Tensor(shape: [2], values: [.nan, .infinity])
        let conv = m.namedParameters().first { $0.0 == "0.weight" }!.1
        var w = conv.value.scalars
        w[0] = .nan                                  // filter 0 → channel 0 is NaN everywhere
        conv.value = Tensor(shape: conv.value.shape, values: w)
        return m
    }()

    static let tinyExample = Tensor.randn([2, 3, 8, 8], seed: 21)

    static let tinyProgram: ExportedProgram = {
        try! export(tinyModel, exampleInputs: [tinyExample], dynamicShapes: ["x": [0: Dim("batch", min: 1, max: 4)]])
    }()

    /// The tiny program's library, compiled once per test process (through the compile cache).
    static let tinyLibrary: String = {
        try! aotCompile(tinyProgram, exampleInputs: [tinyExample], options: CompileFixtures.options())
    }()
}
