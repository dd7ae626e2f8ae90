import Foundation
import Testing
@testable import Kiln

/// The compile cache and reproducible builds.
@Suite struct CacheTests {
    static let example = [Tensor.randn([2, 3, 32, 32], seed: 1)]

    @Test func secondCompileIsACacheHit() throws {
        _ = CompileFixtures.smallLibrary // populated
        let lines = LogLines()
        let report = try aotCompileWithReport(CompileFixtures.smallProgram, exampleInputs: Self.example,
                                              options: CompileFixtures.options(log: lines.append))
        #expect(report.cached)
        #expect(report.compilerMilliseconds == 0)
        #expect(lines.text.contains("cached"), "\(lines.text)")
    }

    @Test func rebuildIsByteIdentical() throws {
        // Two separate caches: the C compiler runs twice, in different build directories.
        let a = CompileFixtures.scratch(), b = CompileFixtures.scratch()
        let first = try aotCompileWithReport(CompileFixtures.smallProgram, exampleInputs: Self.example,
                                             options: CompileFixtures.options(a.appendingPathComponent("a.so").path, cache: a.path))
        let second = try aotCompileWithReport(CompileFixtures.smallProgram, exampleInputs: Self.example,
                                              options: CompileFixtures.options(b.appendingPathComponent("b.so").path, cache: b.path))
        #expect(!first.cached && !second.cached)
        #expect(first.key == second.key)
        let da = try Data(contentsOf: URL(fileURLWithPath: first.path)), db = try Data(contentsOf: URL(fileURLWithPath: second.path))
        #expect(da == db, "libraries differ (\(da.count) vs \(db.count) bytes)")
        // No build path leaks into the library.
        #expect(da.range(of: Data(a.path.utf8)) == nil)
    }

    @Test func compilerFailureKeepsSourceAndReportsMessage() throws {
        let dir = CompileFixtures.scratch()
        let toolchain = try Toolchain.detect()
        try Data("int broken( {\n".utf8).write(to: dir.appendingPathComponent("model.c"))
        do {
            try toolchain.build(in: dir, sources: ["model.c"], output: "model.so", buildID: "00")
            Issue.record("built a broken source")
        } catch let CompileError.compilerFailed(_, message, kept) {
            #expect(message.contains("model.c"), "\(message)")
            #expect(kept == dir.path)
            #expect(FileManager.default.fileExists(atPath: dir.appendingPathComponent("build.sh").path))
        }
    }
}

/// Collects log lines from a compile (thread-safe).
final class LogLines: @unchecked Sendable {
    private let lock = NSLock()
    private var lines: [String] = []
    var append: @Sendable (String) -> Void { { [self] line in lock.withLock { lines.append(line) } } }
    var text: String { lock.withLock { lines.joined(separator: "\n") } }
}
