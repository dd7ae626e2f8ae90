import Foundation
import Testing
@testable import Kiln

/// Depthwise and grouped convolutions in a compiled library: the heuristic picks the
/// depthwise kernel, every algorithm that applies can be forced, and each library matches the
/// interpreter (max |Δ| ≤ 5e-4 · max |ref|).
@Suite struct GroupedConvCompileTests {
    /// A MobileNet-like stack: stem, depthwise 3×3 s2 and 5×5 s1, a grouped 3×3, pointwise 1×1.
    static let program: ExportedProgram = {
        let net = Sequential(
            Conv2d(3, 8, kernelSize: 3, stride: 2, padding: 1, bias: false), BatchNorm2d(8), ReLU(),
            Conv2d(8, 8, kernelSize: 3, stride: 2, padding: 1, groups: 8, bias: false), BatchNorm2d(8), ReLU(),
            Conv2d(8, 16, kernelSize: 1, bias: false), BatchNorm2d(16),
            Conv2d(16, 16, kernelSize: 5, padding: 2, groups: 16), ReLU(),
            Conv2d(16, 24, kernelSize: 3, padding: 1, groups: 4), ReLU(),
            AdaptiveAvgPool2d(), Flatten(), Linear(24, 10))
        net.initializeParameters(seed: 5)
        return try! export(net, exampleInputs: [Tensor.randn([2, 3, 33, 31], seed: 1)],
                           dynamicShapes: ["x": [0: Dim("batch", min: 1, max: 8)]])
    }()

    /// The program compiled with the heuristic kernel choice: its model.c and the library's path.
    static func compiledWithSource(_ name: String) throws -> (model: String, library: String) {
        let dir = CompileFixtures.scratch(name)
        let out = dir.appendingPathComponent("dw.so").path
        _ = try aotCompile(program, exampleInputs: [Tensor.randn([2, 3, 33, 31], seed: 1)],
                           options: CompileFixtures.options(out, keepSource: true))
        return (try String(contentsOf: dir.appendingPathComponent("dw.so.src/model.c"), encoding: .utf8), out)
    }

    @Test func heuristicPicksDepthwiseAndMatchesInterpreter() throws {
        let (model, out) = try Self.compiledWithSource(#function)
        #expect(model.components(separatedBy: "kiln_conv2d_depthwise(&p, x, w, b, r, y);").count - 1 == 2)
        let library = try aotLoad(out)
        for batch in [1, 3] {
            let x = Tensor.randn([batch, 3, 33, 31], seed: UInt64(batch))
            CompileFixtures.expectMatches(try library(x), try Self.program.run([x])[0], "heuristic, batch \(batch)")
        }
    }

    /// A graph with depthwise convolutions runs batches image by image across threads
    /// (kiln_graph.h `split_batch`): every image of a batch-7 run is bit for bit what a batch-1
    /// run of that image gives, and the batch matches the interpreter.
    @Test func splitBatchRunsEachImageAsBatchOne() throws {
        let (model, out) = try Self.compiledWithSource(#function)
        #expect(model.contains(".rows_independent = 1, .split_batch = 1,"))
        let library = try aotLoad(out)
        let x = Tensor.randn([7, 3, 33, 31], seed: 9)
        let batch = try library(x)
        for i in 0..<7 {
            let one = try library(x.slice(batch: i..<(i + 1)))
            #expect(batch.slice(batch: i..<(i + 1)).scalars == one.scalars, "image \(i) of the batch differs from its batch-1 run")
        }
        CompileFixtures.expectMatches(batch, try Self.program.run([x])[0], "split batch 7")
    }

    @Test(arguments: ConvAlgorithm.allCases)
    func forcedAlgorithmMatchesInterpreter(_ a: ConvAlgorithm) throws {
        let out = CompileFixtures.scratch().appendingPathComponent("dw-\(a.rawValue).so").path
        let missing = CPUInfo.current.missingFeatures(a.precision.requiredCPUFeatures)
        if !missing.isEmpty {
            // A kernel this CPU cannot run is refused at compile time, not built into a library
            // that would then refuse to load.
            #expect(throws: CompileError.missingCPUFeatures(precision: "\(a.precision.rawValue) (forced algorithm \(a.rawValue))", features: missing)) {
                try aotCompile(Self.program, exampleInputs: [Tensor.randn([2, 3, 33, 31], seed: 1)],
                               options: CompileFixtures.options(out, forced: a))
            }
            return
        }
        _ = try aotCompile(Self.program, exampleInputs: [Tensor.randn([2, 3, 33, 31], seed: 1)],
                           options: CompileFixtures.options(out, forced: a))
        let library = try aotLoad(out)
        let x = Tensor.randn([2, 3, 33, 31], seed: 4)
        CompileFixtures.expectMatches(try library(x), try Self.program.run([x])[0], "forced \(a.rawValue), batch 2",
                                      tolerance: a.precision == .bf16 ? 5e-3 : 5e-4) // bf16: its contract
    }
}
