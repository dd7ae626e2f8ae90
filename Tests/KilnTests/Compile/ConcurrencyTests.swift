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
}
