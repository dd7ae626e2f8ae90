import Foundation
import Testing
import KilnTestSupport
@testable import Kiln

/// The whole generated `model.c` of a small graph, so a codegen change shows its diff
/// (re-record with KILN_RECORD_SNAPSHOTS=1 when the change is intended).
@Suite struct CodegenSnapshotTests {
    @Test func smallGraphModelC() throws {
        // conv+bn+relu (folded and fused), max pool, a second conv+relu, average pool, linear.
        let net = Sequential(Conv2d(3, 4, kernelSize: 3, padding: 1), BatchNorm2d(4), ReLU(), MaxPool2d(kernelSize: 2),
                             Conv2d(4, 6, kernelSize: 3, stride: 2, padding: 1), ReLU(), AdaptiveAvgPool2d(), Flatten(), Linear(6, 3))
        net.initializeParameters(seed: 5)
        let x = Tensor.randn([2, 3, 8, 8], seed: 2)
        let program = try export(net, exampleInputs: [x], dynamicShapes: ["x": [0: Dim("batch", min: 1, max: 8)]])
        let source = CompileSource(program)
        var graph = FusionPasses.run(try Lowering.lower(source))
        // A forced algorithm: the heuristic's choice depends on the CPU, the snapshot must not.
        let options = AOTCompileOptions(cacheDirectory: FileManager.default.temporaryDirectory.path, forcedAlgorithm: .im2colSgemm,
                                        log: { _ in })
        _ = try AlgorithmSelection.choose(&graph, batch: 2, options: options, cache: CompileCache(root: FileManager.default.temporaryDirectory))
        let model = try CodeGenerator.generate(graph, plan: MemoryPlan.plan(graph),
                                               names: .init(model: source.model, graphHash: source.graphHash, outputs: source.signature.outputs),
                                               metadata: ["model": source.model, "note": "fixed metadata for the snapshot"])
        Snapshot.expectMatches(model.source, named: "codegen-small-model.c")
    }
}
