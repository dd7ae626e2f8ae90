import CKilnKernels
import Foundation
import Testing
@testable import Kiln

/// What a compiled library needs at run time: its DT_NEEDED entries (`readelf -d`). A CNN
/// whose steps all run on Kiln's own kernels (every convolution on an AVX-512 host, the
/// classifier's `linear` at any batch) must not need libopenblas: `-Wl,--as-needed` drops it,
/// and loading the library then starts no BLAS threads.
@Suite struct LibraryDependencyTests {
    /// The shared libraries `path` names as DT_NEEDED, or nil (with a printed reason) when
    /// `readelf` is missing.
    static func needed(_ path: String) -> [String]? {
        guard let r = try? Subprocess.run(["readelf", "-d", path]), r.succeeded else {
            print("LibraryDependencyTests: skipped, `readelf -d` did not run (binutils missing?)")
            return nil
        }
        // Lines like ` 0x0000000000000001 (NEEDED)             Shared library: [libm.so.6]`.
        return r.output.split(separator: "\n").filter { $0.contains("(NEEDED)") }.compactMap { line in
            guard let open = line.firstIndex(of: "["), let close = line.lastIndex(of: "]") else { return nil }
            return String(line[line.index(after: open)..<close])
        }
    }

    @Test func resnetLibraryNeedsNoBLAS() throws {
        guard kiln_gemm_cpu_has_avx512() != 0 else {
            print("LibraryDependencyTests: skipped, no AVX-512 here (convolutions fall back to OpenBLAS's sgemm)")
            return
        }
        guard let needed = Self.needed(CompileFixtures.smallLibrary) else { return }
        #expect(needed.contains { $0.hasPrefix("libm.") }, "\(needed)")
        #expect(try aotLoad(CompileFixtures.smallLibrary).neededLibraries == needed, "kiln inspect's reader against readelf")
        #expect(!needed.contains { $0.contains("blas") }, "a ResNet library needs \(needed)")
    }

    /// A library whose steps do call BLAS (the ViT fixture's MatMul of two run-time tensors)
    /// keeps libopenblas: `--as-needed` drops only what nothing references.
    @Test func libraryCallingBLASLinksIt() throws {
        let program = try importONNX(ONNXFixtures.model("vit_tiny"), dynamicShapes: ONNXFixtures.batch)
        let x = try ONNXFixtures.references("vit_tiny").tensor(named: "input_b3")
        let library = try aotCompile(program, exampleInputs: [x], options: CompileFixtures.options())
        guard let needed = Self.needed(library) else { return }
        #expect(needed.contains { $0.contains("openblas") }, "the ViT library needs \(needed)")
        #expect(ELFCheck.neededLibraries(library) == needed, "kiln inspect's reader against readelf")
    }

    /// The reader takes untrusted files: anything it cannot follow is nil, never a crash or a
    /// read past the end. Each damaged copy keeps the library's real headers up to the damage.
    @Test func neededLibrariesOfDamagedFilesIsNil() throws {
        let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: CompileFixtures.smallLibrary)))
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("kiln-needed-\(getpid())")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        func write(_ name: String, _ b: [UInt8]) throws -> String {
            let url = folder.appendingPathComponent(name)
            try Data(b).write(to: url)
            return url.path
        }
        func le(_ v: UInt64, _ n: Int) -> [UInt8] { (0..<n).map { UInt8(truncatingIfNeeded: v >> (8 * UInt64($0))) } }
        var cases: [(String, [UInt8])] = [
            ("garbage", (0..<4096).map { UInt8(truncatingIfNeeded: $0 &* 2_654_435_761 >> 7) }),
            ("empty", []),
            ("header-only", Array(bytes[0..<64])),
            ("first-page", Array(bytes[0..<4096])),
        ]
        var farTable = bytes // program headers said to lie past the end
        farTable.replaceSubrange(0x20..<0x28, with: le(UInt64(bytes.count) + 1, 8))
        cases.append(("phoff-past-end", farTable))
        var nearMax = bytes // an offset whose end overflows a signed 64-bit sum
        nearMax.replaceSubrange(0x20..<0x28, with: le(0x7fff_ffff_ffff_fff0, 8))
        cases.append(("phoff-near-max", nearMax))
        #expect(throws: ELFCheck.Problem.self, "ELFCheck.check reads the overflowing end as past the file") {
            try ELFCheck.check(try write("check-near-max", nearMax))
        }
        var hugeCount = bytes // 65535 program headers
        hugeCount.replaceSubrange(0x38..<0x3A, with: le(0xFFFF, 2))
        cases.append(("phnum-huge", hugeCount))
        for (name, b) in cases {
            #expect(ELFCheck.neededLibraries(try write(name, b)) == nil, "\(name)")
        }
        #expect(ELFCheck.neededLibraries(folder.appendingPathComponent("missing").path) == nil)
        if let want = Self.needed(CompileFixtures.smallLibrary) { // the undamaged copy still reads
            #expect(ELFCheck.neededLibraries(try write("intact", bytes)) == want)
        }
    }

    /// The same library still computes the classifier at batches above the dot-product path's
    /// (the fc on Kiln's GEMM, its bias through the epilogue).
    @Test func resnetLibraryMatchesInterpreterAtBatch8() throws {
        let model = try aotLoad(CompileFixtures.smallLibrary)
        let x = Tensor.randn([8, 3, 32, 32], seed: 21)
        let want = try CompileFixtures.smallProgram.run([x])[0]
        CompileFixtures.expectMatches(try model.run([x])[0], want, "batch 8")
    }
}
