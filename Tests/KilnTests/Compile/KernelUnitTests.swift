import Foundation
import Testing
@testable import Kiln

/// aotCompile builds only the kernel files a model needs (KernelSources+Units.swift): the
/// textual symbol scan must see every symbol the compiler sees.
@Suite struct KernelUnitTests {
    /// Each kernel file compiled (-O0: no inlining, so every call the source makes stays a
    /// reference): every global it defines is in the scan's definitions of that file, and
    /// every symbol it needs from another kernel file is in the scan's references.
    @Test func scanAgreesWithTheCompiledObjects() throws {
        let toolchain = try Toolchain.detect()
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("kiln-units-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        try KernelSources.write(to: dir)
        defer { try? FileManager.default.removeItem(at: dir) }
        let units = KernelSources.compilationUnits
        let flags = Toolchain.flags.filter { !Toolchain.isLinkOnly($0) && $0 != "-O3" } + ["-O0"]
        let commands = units.map { toolchain.command + flags + ["-I."] + toolchain.blasFlags.filter { $0.hasPrefix("-I") } + ["-c", $0, "-o", $0 + ".o"] }
        for (unit, r) in zip(units, Toolchain.runConcurrently(commands, in: dir, timeout: 120)) {
            let result = try r.result.get()
            #expect(result.succeeded, "\(unit) compiles: \(result.output)")
        }
        var defined: [String: Set<String>] = [:], undefined: [String: Set<String>] = [:]
        for unit in units {
            let nm = try Subprocess.run(["nm", "-g", unit + ".o"], in: dir)
            try #require(nm.succeeded, "nm \(unit).o: \(nm.output)")
            for line in nm.output.split(separator: "\n") {
                let parts = line.split(separator: " ")
                if parts.count == 2, parts[0] == "U" { undefined[unit, default: []].insert(String(parts[1])) }
                if parts.count == 3, parts[1] != "U", parts[1] != "w" { defined[unit, default: []].insert(String(parts[2])) }
            }
        }
        let index = KernelSources.unitIndex
        let owner = Dictionary(defined.flatMap { unit, symbols in symbols.map { ($0, unit) } }, uniquingKeysWith: { a, _ in a })
        for unit in units {
            let missed = (defined[unit] ?? []).subtracting(index.definitions[unit] ?? [])
            #expect(missed.isEmpty, "\(unit) defines \(missed.sorted()) that the scan does not see (name globals kiln_… and define them at column 0)")
            let needs = (undefined[unit] ?? []).filter { owner[$0] != nil }
            let unseen = needs.subtracting(index.references[unit] ?? [])
            #expect(unseen.isEmpty, "\(unit) calls \(unseen.sorted()) that the scan does not see")
        }
    }

    /// The closure follows calls from the model through the kernels, and leaves out the rest.
    @Test func closureFollowsCallsOnly() {
        let fp32 = KernelSources.compilationUnits(for: "void f(void) { kiln_conv2d_winograd_f4x3(0, 0, 0, 0, 0, 0, 0); kiln_maxpool2d(0); }")
        for unit in ["kiln_model_runtime.c", "threads.c", "kiln_winograd.c", "kiln_winograd_f4x3.c", "kiln_gemm.c", "pool.c"] {
            #expect(fp32.contains(unit), "\(unit) in \(fp32)")
        }
        for unit in ["conv_depthwise.c", "ops_binary.c", "kiln_gemm_bf16.c", "kiln_conv_gemm_bf16.c", "ops_copy.c"] {
            #expect(!fp32.contains(unit), "\(unit) not in \(fp32)")
        }
        // A mention in a comment or a string is not a call.
        let commented = KernelSources.compilationUnits(for: "/* kiln_conv2d_gemm_bf16 */ const char *s = \"kiln_add\"; // kiln_softmax")
        #expect(!commented.contains("kiln_conv_gemm_bf16.c") && !commented.contains("kiln_gemm_bf16.c"), "\(commented)")
        let bf16 = KernelSources.compilationUnits(for: "void f(void) { kiln_conv2d_gemm_bf16(0, 0, 0, 0, 0, 0, 0); }")
        for unit in ["kiln_conv_gemm_bf16.c", "kiln_gemm_bf16.c", "kiln_gemm_im2col.c"] {
            #expect(bf16.contains(unit), "\(unit) in \(bf16)")
        }
        // Order is the embedded files' order, whatever the discovery order.
        #expect(bf16 == KernelSources.compilationUnits.filter(bf16.contains))
    }

    /// Compiles start most expensive first, counting the headers a file includes (transitively,
    /// each once): a small file pulling in a big header goes before a larger self-contained one.
    @Test func compileOrderCountsIncludedHeaders() throws {
        let dir = CompileFixtures.scratch()
        let files: [(String, String)] = [
            ("plain.c", String(repeating: "int a;\n", count: 500)),                      // 3500 bytes
            ("small.c", "#include \"outer.h\"\n#include \"inner.h\"\nint b;\n"),
            ("outer.h", "#include \"inner.h\"\n" + String(repeating: "int c;\n", count: 100)),
            ("inner.h", String(repeating: "int d;\n", count: 400)),                      // 2800 bytes, counted once
            ("tiny.c", "int e;\n"),
            ("tied.c", "int e;\n"),
        ]
        for (name, text) in files { try Data(text.utf8).write(to: dir.appendingPathComponent(name)) }
        let sources = ["tiny.c", "plain.c", "small.c", "tied.c", "missing.c"]
        #expect(Toolchain.compileOrder(sources, in: dir).map { sources[$0] } == ["small.c", "plain.c", "tiny.c", "tied.c", "missing.c"])
    }
}
