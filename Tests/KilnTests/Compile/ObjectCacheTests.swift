import Foundation
import Testing
@testable import Kiln

/// The cache's kernel objects (`objects/`): reused by later builds, never changing a library.
@Suite struct ObjectCacheTests {
    static let example = [Tensor.randn([2, 3, 32, 32], seed: 1)]

    /// Builds the small program into `cache` after removing its libraries (so the C compiler runs).
    static func rebuild(in cache: URL, output: String) throws -> AOTCompileReport {
        try? FileManager.default.removeItem(at: cache.appendingPathComponent("libraries"))
        return try aotCompileWithReport(CompileFixtures.smallProgram, exampleInputs: example,
                                        options: CompileFixtures.options(cache.appendingPathComponent(output).path, cache: cache.path))
    }

    /// Expects the two reports' libraries to be the same bytes.
    static func expectSameBytes(_ first: AOTCompileReport, _ second: AOTCompileReport,
                                sourceLocation: SourceLocation = #_sourceLocation) throws {
        let a = try Data(contentsOf: URL(fileURLWithPath: first.path)), b = try Data(contentsOf: URL(fileURLWithPath: second.path))
        #expect(a == b, "libraries differ (\(a.count) vs \(b.count) bytes)", sourceLocation: sourceLocation)
    }

    static func kernelStages(_ report: AOTCompileReport) -> [AOTCompileStage] {
        report.stages.filter { $0.name.hasPrefix("cc ") && $0.name != "cc model.c" }
    }

    @Test func libraryFromCachedObjectsIsByteIdentical() throws {
        let dir = CompileFixtures.scratch()
        let first = try Self.rebuild(in: dir, output: "first.so")
        let kernels = Self.kernelStages(first)
        try #require(!kernels.isEmpty, "stages: \(first.stages.map(\.name))")
        let noneCached = kernels.allSatisfy { !$0.cached }
        #expect(noneCached, "an empty cache has no objects")
        let second = try Self.rebuild(in: dir, output: "second.so")
        #expect(!second.cached)
        let allCached = Self.kernelStages(second).allSatisfy { $0.cached }
        #expect(allCached, "\(second.stages.map(\.summary))")
        #expect(second.stages.contains { $0.name == "cc model.c" && !$0.cached })
        try ObjectCacheTests.expectSameBytes(first, second)
    }

    @Test func damagedObjectIsCompiledAgain() throws {
        let dir = CompileFixtures.scratch()
        let first = try Self.rebuild(in: dir, output: "first.so")
        let objects = try FileManager.default.subpathsOfDirectory(atPath: dir.appendingPathComponent("objects").path).filter { $0.hasSuffix(".o") }
        let victim = try #require(objects.sorted().first)
        try Data("not an object".utf8).write(to: dir.appendingPathComponent("objects").appendingPathComponent(victim))
        let second = try Self.rebuild(in: dir, output: "second.so")
        let unit = String(URL(fileURLWithPath: victim).lastPathComponent.dropLast(2))   // "x.c.o" → "x.c"
        let recompiled = Self.kernelStages(second).filter { !$0.cached }.map(\.name)
        #expect(recompiled == ["cc " + unit], "\(second.stages.map(\.summary))")
        try ObjectCacheTests.expectSameBytes(first, second)
        // The recompiled object replaced the damaged one.
        #expect((try? ELFCheck.check(dir.appendingPathComponent("objects").appendingPathComponent(victim).path)) != nil)
    }

    @Test func objectKeyCoversCompilerCommandAndVersion() {
        let base = Toolchain(command: ["cc"], identity: "cc 12.2.0", blasFlags: ["-lopenblas"])
        let keys = [base,
                    Toolchain(command: ["cc"], identity: "cc 13.1.0", blasFlags: ["-lopenblas"]),
                    Toolchain(command: ["cc", "-m32"], identity: "cc 12.2.0", blasFlags: ["-lopenblas"]),
                    Toolchain(command: ["cc"], identity: "cc 12.2.0", blasFlags: ["-I/opt/blas", "-lopenblas"])]
            .map { CompileCache.objectKey(files: KernelSources.files, toolchain: $0) }
        #expect(Set(keys).count == keys.count, "\(keys)")
        #expect(CompileCache.objectKey(files: KernelSources.files, toolchain: base) == keys[0])
        // Any kernel file's text, headers included, changes the key.
        var edited = KernelSources.files
        edited[0].text += " "
        #expect(CompileCache.objectKey(files: edited, toolchain: base) != keys[0])
    }
}
