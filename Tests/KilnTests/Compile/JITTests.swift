import Foundation
import Testing
@testable import Kiln

/// compile(model): compiles on the first call per shape, then reuses the library.
@Suite struct JITTests {
    @Test func compilesOnFirstCallPerShape() throws {
        let net = try resnet18(weights: .seeded(7))
        let fast = compile(net, options: CompileFixtures.options())
        let x = Tensor.randn([2, 3, 32, 32], seed: 1)
        #expect(fast.compiledShapes.isEmpty)
        let (y, _) = try timed { try fast(x) }
        #expect(fast.compiledShapes == [[2, 3, 32, 32]])
        CompileFixtures.expectMatches(y, try net(x), "jit vs eager", tolerance: 1e-4)
        _ = try fast(Tensor.randn([2, 3, 32, 32], seed: 2))
        #expect(fast.compiledShapes.count == 1)
        _ = try fast(Tensor.randn([1, 3, 32, 32], seed: 2))
        #expect(fast.compiledShapes.count == 2)
        #expect(fast.report(for: [2, 3, 32, 32]) != nil)
    }
}
