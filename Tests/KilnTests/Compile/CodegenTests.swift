import Foundation
import Testing
@testable import Kiln

/// The passes and the generated C: folding, fusion, memory planning, the source's shape.
@Suite struct CodegenTests {
    static func lowered(_ p: ExportedProgram) throws -> LoweredGraph {
        FusionPasses.run(try Lowering.lower(CompileSource(p)))
    }

    @Test func batchNormFoldedAndEpiloguesFused() throws {
        let p = CompileFixtures.smallProgram
        let g = try Self.lowered(p)
        let ops = g.nodes.map(\.op.name)
        #expect(!ops.contains("batch_norm"))
        #expect(!ops.contains("relu"))
        #expect(!ops.contains("add"))
        // ResNet-18: 20 convolutions (17 + 3 downsample), maxpool, avgpool, flatten, fc.
        #expect(ops.filter { $0 == "conv2d" }.count == 20)
        #expect(g.nodes.count == 24)
        let residuals = g.nodes.compactMap { n -> String? in if case let .conv(c) = n.op { c.residual } else { nil } }
        #expect(residuals.count == 8)
    }

    @Test func foldedProgramMatchesInterpreter() throws {
        // The passes must not change the numbers: compiled small program vs the exported graph.
        let model = try aotLoad(CompileFixtures.smallLibrary)
        let x = Tensor.randn([3, 3, 32, 32], seed: 9)
        let want = try CompileFixtures.smallProgram.run([x])[0]
        CompileFixtures.expectMatches(try model(x), want, "small resnet18, batch 3", tolerance: 1e-4)
    }

    /// The max pool after a convolution on the stem kernel becomes part of that step (and only
    /// then): its readers read the fused step, whose value has the pool's shape, and the arena
    /// no longer holds the convolution's output.
    @Test func maxPoolFusesIntoTheStemOnly() throws {
        let g = try Self.lowered(CompileFixtures.smallProgram)
        func withConv1(_ a: ConvAlgorithm) -> LoweredGraph {
            var g = g
            if let i = g.nodes.firstIndex(where: { $0.op.name == "conv2d" }), case var .conv(c) = g.nodes[i].op {
                c.algorithm = a
                g.nodes[i].op = .conv(c)
            }
            return g
        }
        #expect(FusionPasses.fuseMaxPool(withConv1(.packedGemm)).nodes.count == g.nodes.count)
        let stem = withConv1(.stem), fused = FusionPasses.fuseMaxPool(stem)
        #expect(fused.nodes.count == g.nodes.count - 1)
        #expect(!fused.nodes.contains { $0.op.name == "max_pool2d" })
        guard case let .conv(c) = fused.nodes[0].op else { Issue.record("conv1 is not the first step"); return }
        #expect(c.pool == MaxPoolSpec(kernel: (3, 3), stride: (2, 2), padding: (1, 1), ceilMode: false))
        #expect(c.fused.last == "maxpool")
        #expect(fused.nodes[0].shape.rowShape == [64, 8, 8])
        #expect(fused.nodes[0].name == "maxpool")
        #expect(fused.nodes[1].op.inputs.contains("maxpool"), "layer1 reads \(fused.nodes[1].op.inputs)")
        // ResNet-18 on 32×32: conv1's 64×16×16 output was the largest value alive.
        #expect(MemoryPlan.plan(fused).arenaPerRow < MemoryPlan.plan(stem).arenaPerRow)
        #expect(CodeGenerator.comment(fused.nodes[0], fused).hasSuffix("[stem, relu, max pool 3x3/2]"))
    }

    /// The fused stem and pool compiled into a library give the interpreter's numbers.
    @Test func fusedStemPoolMatchesInterpreter() throws {
        let dir = CompileFixtures.scratch()
        let out = dir.appendingPathComponent("stem.so").path
        _ = try aotCompile(CompileFixtures.smallProgram, exampleInputs: [Tensor.randn([2, 3, 32, 32], seed: 1)],
                           options: CompileFixtures.options(out, keepSource: true, forced: .stem))
        let model = try String(contentsOf: dir.appendingPathComponent("stem.so.src/model.c"), encoding: .utf8)
        #expect(model.contains("kiln_conv2d_stem_maxpool(&p, &q, x, w, b, y);"))
        let library = try aotLoad(out)
        for batch in [1, 3] {
            let x = Tensor.randn([batch, 3, 32, 32], seed: UInt64(30 + batch))
            CompileFixtures.expectMatches(try library(x), try CompileFixtures.smallProgram.run([x])[0], "batch \(batch)", tolerance: 1e-4)
        }
    }

    @Test func memoryPlanReusesBlocks() throws {
        let g = try Self.lowered(CompileFixtures.smallProgram)
        let plan = MemoryPlan.plan(g)
        #expect(plan.arenaPerRow > 0)
        // The optimum for ResNet-18 on 32×32: conv1's output (64×16×16) and the maxpool's (64×8×8)
        // are the only values ever alive together at that size.
        #expect(plan.arenaPerRow == 64 * 16 * 16 + 64 * 8 * 8, "arena \(plan.arenaPerRow)")
        #expect(plan.arenaPerRow * 2 < plan.unplannedPerRow, "arena \(plan.arenaPerRow) vs \(plan.unplannedPerRow) without reuse")
        // No step's output shares memory with what it reads.
        for n in g.nodes {
            guard case .arena(let out)? = plan.storage[n.name], !(n.op.name == "flatten") else { continue }
            let size = n.shape.rowElements
            for v in n.op.inputs {
                guard case .arena(let i)? = plan.storage[v], let s = g.shapes[v]?.rowElements else { continue }
                #expect(out + size <= i || i + s <= out, "\(n.name) overlaps its input \(v)")
            }
        }
    }

    @Test func generatedSourceShape() throws {
        let dir = CompileFixtures.scratch()
        let out = dir.appendingPathComponent("small.so").path
        _ = try aotCompile(CompileFixtures.smallProgram, exampleInputs: [Tensor.randn([2, 3, 32, 32], seed: 1)],
                           options: CompileFixtures.options(out, keepSource: true))
        let src = dir.appendingPathComponent("small.so.src")
        let model = try String(contentsOf: src.appendingPathComponent("model.c"), encoding: .utf8)
        #expect(model.contains("generated by Kiln \(KilnVersion.string) (codegen v\(CodeGenerator.version))"))
        #expect(model.contains("graph hash \(CompileFixtures.smallProgram.graphHash)"))
        #expect(model.contains(".incbin \\\"weights.bin\\\""))
        #expect(model.contains("layer1_0_conv2 + layer1_0_bn2 + add"))
        for f in ["weights.bin", "build.sh", "kiln_kernels.h", "conv2d.c", "kiln_model_runtime.c"] {
            #expect(FileManager.default.fileExists(atPath: src.appendingPathComponent(f).path), "\(f) kept")
        }
    }

    @Test func embeddedSourcesCoverEveryKernelFile() throws {
        // Every .c of CKilnKernels that generated libraries need is embedded (kiln_embedded_sources.c
        // and kiln_sha256.c are Kiln-side only), with the same text as in the source tree.
        let dir = Fixtures.packageRoot.appendingPathComponent("Sources/CKilnKernels")
        let onDisk = try FileManager.default.contentsOfDirectory(atPath: dir.path).filter { $0.hasSuffix(".c") }
        let hostOnly: Set<String> = ["kiln_embedded_sources.c", "kiln_sha256.c", "kiln_fma_peak.c", "kiln_core_latency.c", "kiln_cache_evict.c"]
        let embedded = Dictionary(uniqueKeysWithValues: KernelSources.files.map { ($0.name, $0.text) })
        for f in onDisk where !hostOnly.contains(f) {
            let text = try String(contentsOf: dir.appendingPathComponent(f), encoding: .utf8)
            #expect(embedded[f] == text, "\(f) embedded and current")
        }
    }
}
