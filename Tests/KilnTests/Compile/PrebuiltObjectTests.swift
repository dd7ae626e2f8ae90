import Foundation
import Testing
@testable import Kiln

/// The prebuilt kernel-object store (`kiln prebuild-kernels`): a cold cache links its kernels
/// from there, the library stays byte-identical, and damaged or foreign objects are compiled.
@Suite struct PrebuiltObjectTests {
    static let example = ObjectCacheTests.example

    static func compile(cache: URL, output: String, prebuilt: String) throws -> AOTCompileReport {
        try FileManager.default.createDirectory(at: cache, withIntermediateDirectories: true)
        return try aotCompileWithReport(CompileFixtures.smallProgram, exampleInputs: example,
                                 options: CompileFixtures.options(cache.appendingPathComponent(output).path, cache: cache.path,
                                                                  prebuilt: prebuilt))
    }

    @Test func coldCacheLinksKernelsFromThePrebuiltStore() throws {
        let dir = CompileFixtures.scratch()
        let filler = dir.appendingPathComponent("filler"), cold = dir.appendingPathComponent("cold")
        let first = try Self.compile(cache: filler, output: "first.so", prebuilt: "off")
        let second = try Self.compile(cache: cold, output: "second.so", prebuilt: filler.appendingPathComponent("objects").path)
        #expect(!second.cached)
        let kernels = ObjectCacheTests.kernelStages(second)
        try #require(!kernels.isEmpty)
        let allPrebuilt = kernels.allSatisfy { $0.cached && $0.prebuilt }
        #expect(allPrebuilt, "\(second.stages.map(\.summary))")
        #expect(second.stages.contains { $0.name == "cc model.c" && !$0.cached })
        try ObjectCacheTests.expectSameBytes(first, second)
    }

    @Test func damagedPrebuiltObjectsAreCompiledInstead() throws {
        let dir = CompileFixtures.scratch()
        let store = KernelObjectStore(root: dir.appendingPathComponent("store"))
        let key = CompileCache.objectKey(files: KernelSources.files, toolchain: try Toolchain.detect())
        for unit in KernelSources.compilationUnits {
            let p = store.path(unit, key: key)
            try FileManager.default.createDirectory(at: p.deletingLastPathComponent(), withIntermediateDirectories: true)
            try Data("\u{7F}ELF but no more".utf8).write(to: p)
        }
        let report = try Self.compile(cache: dir.appendingPathComponent("cache"), output: "lib.so", prebuilt: store.root.path)
        let anyPrebuilt = ObjectCacheTests.kernelStages(report).contains { $0.cached || $0.prebuilt }
        #expect(!anyPrebuilt, "\(report.stages.map(\.summary))")
        #expect((try? ELFCheck.check(report.path)) != nil)
    }

    @Test func objectTheLinkerRefusesMeansEverythingIsCompiled() throws {
        let dir = CompileFixtures.scratch()
        let filler = dir.appendingPathComponent("filler")
        let first = try Self.compile(cache: filler, output: "first.so", prebuilt: "off")
        // A whole relocatable object, but another file's: kiln_create and friends go missing.
        let objects = filler.appendingPathComponent("objects")
        let runtime = try #require(FileManager.default.subpathsOfDirectory(atPath: objects.path).first { $0.hasSuffix("/kiln_model_runtime.c.o") })
        let other = try #require(FileManager.default.subpathsOfDirectory(atPath: objects.path).first { $0.hasSuffix("/threads.c.o") })
        try FileManager.default.removeItem(at: objects.appendingPathComponent(runtime))
        try FileManager.default.copyItem(at: objects.appendingPathComponent(other), to: objects.appendingPathComponent(runtime))
        let lines = LogLines()
        let options = CompileFixtures.options(dir.appendingPathComponent("second.so").path, cache: dir.appendingPathComponent("cold").path,
                                              prebuilt: objects.path, log: { lines.append($0) })
        let second = try aotCompileWithReport(CompileFixtures.smallProgram, exampleInputs: Self.example, options: options)
        let anyPrebuilt = ObjectCacheTests.kernelStages(second).contains { $0.cached || $0.prebuilt }
        #expect(!anyPrebuilt, "\(second.stages.map(\.summary))")
        #expect(lines.all.contains { $0.contains("compiling every kernel file") }, "\(lines.all)")
        try ObjectCacheTests.expectSameBytes(first, second)
    }

    /// Log lines collected from a compile's `log` closure.
    final class LogLines: @unchecked Sendable {
        private let lock = NSLock()
        private var lines: [String] = []
        func append(_ line: String) { lock.withLock { lines.append(line) } }
        var all: [String] { lock.withLock { lines } }
    }

    @Test func prebuildCompilesEveryKernelFileOnceAndDropsStaleKeys() throws {
        let dir = CompileFixtures.scratch().appendingPathComponent("objects")
        let stale = dir.appendingPathComponent(String(repeating: "ab", count: 16))
        let notAKey = dir.appendingPathComponent("notes")
        for d in [stale, notAKey] { try FileManager.default.createDirectory(at: d, withIntermediateDirectories: true) }
        let first = try prebuildKernelObjects(into: dir.path)
        #expect(first.compiled == KernelSources.compilationUnits && first.alreadyThere.isEmpty, "\(first.compiled)")
        #expect(first.removedStale == 1)
        #expect(!FileManager.default.fileExists(atPath: stale.path))
        #expect(FileManager.default.fileExists(atPath: notAKey.path), "only key-named folders are removed")

        let store = KernelObjectStore(root: dir)
        let victim = try #require(KernelSources.compilationUnits.first)
        try Data("not an object".utf8).write(to: store.path(victim, key: first.key))
        let second = try prebuildKernelObjects(into: dir.path)
        #expect(second.compiled == [victim], "only the damaged object is compiled again: \(second.compiled)")
        #expect(second.alreadyThere.count == KernelSources.compilationUnits.count - 1)
        #expect((try? ELFCheck.check(store.path(victim, key: first.key).path)) != nil)
    }

    @Test func prebuildIntoAFileIsAWriteError() throws {
        let file = CompileFixtures.scratch().appendingPathComponent("a-file")
        try Data("keep me".utf8).write(to: file)
        #expect(throws: CompileError.self) { try prebuildKernelObjects(into: file.path) }
        #expect(try Data(contentsOf: file) == Data("keep me".utf8), "the file is left as it was")
    }

    @Test func storeLocation() {
        #expect(KernelObjectStore.prebuilt(environment: ["KILN_KERNEL_OBJECTS": "off"]) == nil)
        #expect(KernelObjectStore.prebuilt(environment: ["KILN_KERNEL_OBJECTS": " "]) == nil)
        #expect(KernelObjectStore.prebuilt(environment: ["KILN_KERNEL_OBJECTS": "/opt/kiln/objects"])?.root.path == "/opt/kiln/objects")
        // Unset: beside the executable, and only when that folder exists.
        let beside = KernelObjectStore.defaultPrebuiltFolder()
        #expect(beside?.lastPathComponent == KernelObjectStore.prebuiltFolderName)
        let exists = beside.map { FileManager.default.fileExists(atPath: $0.path) } ?? false
        #expect((KernelObjectStore.prebuilt(environment: [:]) != nil) == exists)
    }
}
