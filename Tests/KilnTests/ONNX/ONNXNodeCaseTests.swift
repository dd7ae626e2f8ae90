import Foundation
import Testing
@testable import Kiln

/// ONNX's own node test cases (expected outputs from ONNX's reference implementation) for
/// the operators whose semantics vary most by attribute: every Resize mode, ConvTranspose
/// (1-D, output_shape, auto_pad, …), the elementwise math, InstanceNormalization,
/// LogSoftmax, every Reduce*, Tile, Max/Min/Pow, PRelu, Shrink, Erf, Gelu, LayerNormalization, Expand, the
/// trigonometric and hyperbolic functions, Floor/Ceil/Round, Mish, Celu and ThresholdedRelu. `scripts/onnx_node_cases.py`
/// writes them to a scratch folder (the onnx pip package ships their generators, not the
/// data); skipped with a note when python3 or onnx is missing. Each case that imports runs
/// eager (≤ 1e-4 · max|ref|); every `compileEvery`-th compiles too (≤ 5e-4 · max|ref|).
/// Cases with integer or double inputs are not imported (Kiln's programs take float32).
@Suite(.serialized) struct ONNXNodeCaseTests {
    static let operators = ["Resize", "ConvTranspose", "Elu", "Selu", "Softplus", "Softsign", "Exp", "Log", "Sqrt", "Neg", "Abs",
                            "Sign", "Reciprocal", "Max", "Min", "Pow", "LogSoftmax", "InstanceNormalization", "ReduceSum", "Tile",
                            "PRelu", "Shrink", "Erf", "Gelu", "LayerNormalization", "Expand", "ReduceMean", "ReduceMax", "ReduceMin",
                            "ReduceProd", "ReduceL1", "ReduceL2", "ReduceSumSquare", "ReduceLogSum", "ReduceLogSumExp",
                            "Sin", "Cos", "Tan", "Asin", "Acos", "Atan", "Sinh", "Cosh", "Asinh", "Acosh", "Atanh", "Floor", "Ceil",
                            "Round", "Mish", "Celu", "ThresholdedRelu"]
    static let compileEvery = 6

    /// Writes the cases; nil when python3/onnx are unavailable.
    static func generate() -> URL? {
        guard ONNXBackendTests.dataDirectory != nil else { return nil }
        let dir = CompileFixtures.scratch().appendingPathComponent("node-cases")
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = ["python3", Fixtures.packageRoot.appendingPathComponent("scripts/onnx_node_cases.py").path, dir.path] + operators
        p.standardError = FileHandle.nullDevice
        p.standardOutput = FileHandle.nullDevice
        guard (try? p.run()) != nil else { return nil }
        p.waitUntilExit()
        return p.terminationStatus == 0 ? dir : nil
    }

    @Test func nodeCasesMatchONNXReference() throws {
        guard let dir = Self.generate() else {
            print("ONNXNodeCaseTests: skipped — python3 with the onnx pip package is needed")
            return
        }
        var t = ONNXBackendTests.Tally()
        var imported: [String] = []
        for c in try ONNXBackendTests.cases(dir) {
            let before = t.imported
            ONNXBackendTests.run(c, &t, compileAll: false, compileEvery: Self.compileEvery)
            if t.imported > before { imported.append(c.name) }
        }
        print("ONNX node cases: \(t.cases) cases, \(t.imported) imported, \(t.eager) pass eager, \(t.compiled) of \(t.compilable) compiled pass; not imported: \(t.skipped.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", "))")
        for f in t.failures { print("  FAIL \(f)") }
        #expect(t.failures.isEmpty, "\(t.failures.count) imported node cases failed:\n\(t.failures.joined(separator: "\n"))")
        // Every float case of these families must import: a refusal here is a regression.
        for family in ["test_resize_", "test_convtranspose", "test_elu", "test_selu", "test_instancenorm", "test_logsoftmax", "test_tile",
                       "test_erf", "test_gelu", "test_layer_normalization", "test_expand",
                       "test_sin", "test_cos", "test_tan", "test_asin", "test_acos", "test_atan", "test_sinh", "test_cosh", "test_asinh",
                       "test_acosh", "test_atanh", "test_floor", "test_ceil", "test_round", "test_mish", "test_celu", "test_thresholdedrelu"] {
            #expect(imported.contains { $0.hasPrefix(family) }, "no \(family)* case imported")
        }
    }
}
