import Foundation
import Testing
@testable import Kiln

/// One loaded library called from 8 threads × 50 calls gives the same outputs as serial calls.
@Suite struct ConcurrencyTests {
    @Test func concurrentCallsEqualSerial() throws {
        let model = try aotLoad(CompileFixtures.smallLibrary)
        let inputs = (0..<4).map { Tensor.randn([1 + $0 % 2, 3, 32, 32], seed: UInt64(100 + $0)) }
        let serial = try inputs.map { try model($0) }
        let threads = 8, calls = 50
        let failures = LogLines()
        DispatchQueue.concurrentPerform(iterations: threads) { t in
            for k in 0..<calls {
                let i = (t + k) % inputs.count
                do {
                    let y = try model(inputs[i])
                    if y.scalars != serial[i].scalars { failures.append("thread \(t) call \(k): output differs from serial") }
                } catch {
                    failures.append("thread \(t) call \(k): \(error)")
                }
            }
        }
        #expect(failures.text.isEmpty, "\(failures.text.prefix(2000))")
    }
}
