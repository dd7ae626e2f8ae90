import Foundation
import Testing
@testable import Kiln

/// One loaded library called from 8 threads × 100 calls with mixed batch sizes (1…4) gives
/// outputs bitwise identical to serial calls on the same inputs (each call has its own
/// activation memory; no state leaks between concurrent calls of different batch sizes).
@Suite struct ConcurrencyTests {
    @Test func concurrentCallsEqualSerial() throws {
        let model = try aotLoad(CompileFixtures.smallLibrary)
        let inputs = (0..<8).map { Tensor.randn([1 + $0 % 4, 3, 32, 32], seed: UInt64(100 + $0)) }
        let serial = try inputs.map { try model($0) }
        let threads = 8, calls = 100
        let failures = LogLines()
        DispatchQueue.concurrentPerform(iterations: threads) { t in
            for k in 0..<calls {
                let i = (t * 3 + k) % inputs.count   // neighbouring threads run different batch sizes
                do {
                    let y = try model(inputs[i])
                    if y.shape != serial[i].shape || y.scalars.map(\.bitPattern) != serial[i].scalars.map(\.bitPattern) { failures.append("thread \(t) call \(k): output differs from serial") }
                } catch {
                    failures.append("thread \(t) call \(k): \(error)")
                }
            }
        }
        #expect(failures.text.isEmpty, "\(failures.text.prefix(2000))")
    }

    /// A 3×3 layer with 8×8 outputs runs the packed GEMM at batch 1 and Winograd F(2,3) from
    /// batch 2 with weights built on the first such call: 8 threads making that first call at
    /// once build them once, all get the same bits, and the outputs match the eager model.
    @Test func racingFirstLargeBatchCallsBuildTheWeightsOnce() throws {
        let net = ExportFixtures.smallModel(seed: 41)
        let x = Tensor.randn([3, 3, 8, 8], seed: 42)
        let program = try export(net, exampleInputs: [x], dynamicShapes: ["x": [0: CompileFixtures.batch]])
        let model = try aotLoad(try aotCompile(program, exampleInputs: [x], options: CompileFixtures.options()))
        #expect(model.metadataJSON.contains("\"large_batch\":\"winograd_f2x3 from batch 2, winograd_f4x3 from batch 8\""), "\(model.metadataJSON)")
        let results = LogLines(), failures = LogLines()
        DispatchQueue.concurrentPerform(iterations: 8) { t in
            do {
                let y = try model(x)
                results.append(y.scalars.map { String($0.bitPattern, radix: 16) }.joined(separator: ","))
            } catch {
                failures.append("thread \(t): \(error)")
            }
        }
        #expect(failures.text.isEmpty, "\(failures.text)")
        #expect(Set(results.text.split(separator: "\n")).count == 1, "threads disagree")
        CompileFixtures.expectMatches(try model(x), try net(x), "batch 3 (Winograd) vs eager")
        CompileFixtures.expectMatches(try model(x.slice(batch: 2..<3)), try net(x.slice(batch: 2..<3)), "batch 1 (packed GEMM) vs eager")
    }
}
