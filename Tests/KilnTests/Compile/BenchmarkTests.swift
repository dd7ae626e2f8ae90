import Foundation
import Testing
@testable import Kiln

/// Numbers for the report (compile, load, batch-1 latency compiled vs eager). Runs only with
/// KILN_BENCH=1: timing has no place in a pass/fail suite on a shared machine.
@Suite struct BenchmarkTests {
    @Test func compiledVersusEager() throws {
        guard ProcessInfo.processInfo.environment["KILN_BENCH"] == "1",
              let weights = Fixtures.file("resnet18.safetensors") else { return }
        let net = try resnet18(weights: .safetensors(weights))
        let x = Tensor.randn([1, 3, 224, 224], seed: 0)
        let program = try export(net, exampleInputs: [Tensor.randn([2, 3, 224, 224], seed: 0)], dynamicShapes: ["x": [0: Dim("batch", min: 1, max: 32)]])
        let cache = CompileFixtures.scratch().path
        for autotune in [false, true] {
            let report = try aotCompileWithReport(program, exampleInputs: [x], options: CompileFixtures.options(autotune: autotune, cache: cache, log: { print($0) }))
            let again = try aotCompileWithReport(program, exampleInputs: [x], options: CompileFixtures.options(autotune: autotune, cache: cache))
            let (model, loadMs) = try timed { try aotLoad(report.path) }
            func best(_ f: () throws -> Tensor) rethrows -> Double {
                _ = try f()
                var b = Double.infinity
                for _ in 0..<10 { b = min(b, try timed { _ = try f() }.milliseconds) }
                return b
            }
            let compiled = try best { try model(x) }
            let eager = try best { try net(x) }
            print(String(format: "BENCH autotune=%@ compile %.0f ms (cc %.0f ms), cached recompile %.0f ms, load %.1f ms, batch-1 compiled %.1f ms vs eager %.1f ms",
                         "\(autotune)", report.milliseconds, report.compilerMilliseconds, again.milliseconds, loadMs, compiled, eager))
        }
    }
}
