import Foundation
import Testing
@testable import Kiln

/// max-autotune on a small network: the AUTOTUNE table, verification against the reference,
/// winners cached; and every kernel candidate against the reference over swept shapes.
@Suite(.serialized) struct AutotuneTests {
    @Test func everyCandidateMatchesReference() throws {
        let shapes: [(c: Int, h: Int, oc: Int, k: Int, s: Int, p: Int)] = [
            (3, 9, 5, 3, 1, 1), (4, 8, 6, 3, 1, 0), (8, 7, 4, 1, 1, 0), (8, 9, 4, 1, 2, 0), (5, 11, 7, 3, 2, 1), (6, 6, 3, 3, 1, 2),
        ]
        for (i, sh) in shapes.enumerated() {
            for relu in [false, true] {
                let cc = ConvCase(c: sh.c, h: sh.h, oc: sh.oc, k: sh.k, stride: sh.s, padding: sh.p, relu: relu, seed: UInt64(i))
                // fp32 candidates (bf16 ones: GemmBF16KernelTests, BF16CompileTests).
                for a in ConvAlgorithm.allCases where cc.shape.applies(a) && a.precision == .fp32 {
                    cc.check(a, workspace: cc.shape.workspace(a), tolerance: 1e-5, "in-process") { w, ws, y in
                        cc.shape.run(a, x: cc.x.storage.base, packed: w, bias: cc.bias.storage.base, residual: cc.residual.storage.base,
                                     activation: cc.activation, y: y, workspace: ws)
                    }
                }
            }
        }
    }

    @Test func autotuneTableAndWinnerCache() throws {
        let net = try resnet18(weights: .seeded(11))
        let x = Tensor.randn([2, 3, 16, 16], seed: 3)
        let program = try export(net, exampleInputs: [x], dynamicShapes: ["x": [0: Dim("batch", min: 1, max: 4)]])
        let cache = CompileFixtures.scratch().path
        let lines = LogLines()
        let first = try aotCompileWithReport(program, exampleInputs: [x], options: CompileFixtures.options(autotune: true, cache: cache, log: lines.append))
        let text = lines.text
        #expect(first.autotuneTables.count >= 10)
        #expect(text.contains("AUTOTUNE convolution(2x64x4x4, 64x64x3x3)"), "\(text.prefix(1500))")
        #expect(text.contains("SingleProcess AUTOTUNE benchmarking takes "))
        // Table rows: "  name 0.0123 ms 100.0%", fastest first.
        let table = try #require(first.autotuneTables.first { $0.contains("64x64x3x3") })
        let rows = table.split(separator: "\n").dropFirst().filter { !$0.contains("dropped") }
        #expect(rows.first?.hasSuffix(" 100.0%") == true, "\(table)")
        #expect(rows.contains { $0.contains("winograd_f2x3") } && rows.contains { $0.contains("im2col_sgemm") } && rows.contains { $0.contains("direct") })
        for row in rows { #expect(row.range(of: #"^  [a-z0-9_]+ \d+\.\d{4} ms \d+\.\d%$"#, options: .regularExpression) != nil, "\(row)") }

        // Candidates were timed as the library's toolchain builds them, not in-process.
        #expect(!text.contains("timing the in-process kernels"), "\(text.prefix(1500))")
        let autotuneFolder = URL(fileURLWithPath: cache).appendingPathComponent("autotune")
        let benches = try FileManager.default.contentsOfDirectory(atPath: autotuneFolder.path).filter { $0.hasPrefix("kernels-") && $0.hasSuffix(".so") }
        #expect(benches.count == 1, "\(benches)")

        // The library is correct whatever won.
        let model = try aotLoad(first.path)
        CompileFixtures.expectMatches(try model(x), try program.run([x])[0], "autotuned library")

        // Second compile: winners come from the cache, nothing is benchmarked.
        let again = LogLines()
        let second = try aotCompileWithReport(program, exampleInputs: [x], options: CompileFixtures.options(autotune: true, cache: cache, log: again.append))
        #expect(second.autotuneTables.isEmpty)
        #expect(!again.text.contains("AUTOTUNE"))
        #expect(second.cached)
        #expect(second.choices.map(\.algorithm) == first.choices.map(\.algorithm))
    }

    @Test func forcedAlgorithmsMatchTheProgram() throws {
        let x = Tensor.randn([2, 3, 32, 32], seed: 4)
        let want = try CompileFixtures.smallProgram.run([x])[0]
        for a in [ConvAlgorithm.direct, .winogradF2x3, .pointwiseSgemm] {
            let path = try aotCompile(CompileFixtures.smallProgram, exampleInputs: [x], options: CompileFixtures.options(forced: a))
            CompileFixtures.expectMatches(try aotLoad(path)(x), want, "forced \(a.rawValue)", tolerance: 1e-4)
        }
    }

    /// Every kernel of the table, as the library's toolchain builds it (the autotune bench
    /// library), against the reference over swept small shapes (fp32 and, where the CPU has
    /// it, bf16 candidates at bf16's tolerance; one F(4,3) bf16 layer's error is 5–9e-2, see
    /// AlgorithmSelection), with the library's Winograd workspace.
    @Test func libraryBuiltKernelsMatchReference() throws {
        let toolchain = try Toolchain.detect()
        // The shared test cache: its kernel objects (from other tests' libraries) build the bench faster.
        let cache = CompileCache(root: URL(fileURLWithPath: CompileFixtures.cacheDirectory))
        let bench = try KernelBench.load(toolchain: toolchain, cache: cache, options: CompileFixtures.options())
        let bf16 = CPUInfo.current.missingFeatures(Precision.bf16.requiredCPUFeatures).isEmpty
        let shapes: [(c: Int, h: Int, oc: Int, k: Int, s: Int, p: Int, g: Int)] = [
            (3, 20, 8, 3, 2, 1, 1), (16, 9, 20, 3, 1, 1, 1), (16, 8, 16, 1, 1, 0, 1), (24, 7, 24, 3, 1, 1, 24), (32, 14, 16, 3, 1, 1, 1), (3, 70, 16, 7, 2, 3, 1),
        ]
        var tested = 0
        for (i, sh) in shapes.enumerated() {
            let cc = ConvCase(c: sh.c, h: sh.h, oc: sh.oc, k: sh.k, stride: sh.s, padding: sh.p, groups: sh.g, relu: true, seed: UInt64(60 + i))
            for a in ConvAlgorithm.allCases where cc.shape.applies(a) && (a.precision == .fp32 || bf16) {
                let kernel = try #require(bench.kernel(a), "\(a.rawValue) missing from \(bench.path)")
                cc.check(a, workspace: cc.shape.libraryWorkspace(a), tolerance: a == .winogradF4x3BF16 ? 1e-1 : a.precision == .bf16 ? 5e-3 : 1e-5,
                         "library-built") { w, ws, y in
                    cc.shape.run(kernel, x: cc.x.storage.base, packed: w, bias: cc.bias.storage.base, residual: cc.residual.storage.base,
                                 activation: cc.activation, y: y, workspace: ws)
                }
                tested += 1
            }
        }
        #expect(tested >= 20, "only \(tested) kernel runs")
    }
}
