import Foundation
import Testing
@testable import Kiln

@Suite struct ExportInterpreterTests {
    @Test func resnet18MatchesEagerBitForBit() throws {
        let net = ExportFixtures.seededResNet18
        let program = try export(net, exampleInputs: [.zeros([2, 3, 64, 64])], dynamicShapes: ExportFixtures.batch2to32)
        // Batch 1 is below the Dim's min: min constrains export only, so it runs.
        for batch in [1, 3] {
            let x = Tensor.randn([batch, 3, 64, 64], seed: UInt64(batch))
            let eager = try net(x)
            let outputs = try program.run([x])
            #expect(outputs.count == 1)
            #expect(outputs[0].shape == [batch, 1000])
            #expect(outputs[0].scalars == eager.scalars, "batch \(batch): \(outputs[0].compare(to: eager))")
        }
        let x = Tensor.randn([2, 3, 64, 64], seed: 9)
        #expect(try program(x).scalars == net(x).scalars)
        #expect(try program([x])[0].scalars == net(x).scalars)
    }

    @Test(arguments: [ModelName.resnet34, .resnet50])
    func deeperResNetsMatchEager(name: ModelName) throws {
        let net = name.build()
        // Only the convolutions and the classifier need non-trivial weights for a meaningful
        // comparison; seeding them all is too slow for a debug-build test.
        for (key, p) in net.namedParameters() where p.kind == .parameter && p.shape.count > 1 {
            p.value = .randn(p.shape, seed: fnv1a64(key)).reshaped(p.shape)
            p.value = Tensor(shape: p.shape, values: p.value.scalars.map { $0 * 0.05 })
        }
        let program = try export(net, exampleInputs: [.zeros([2, 3, 32, 32])], dynamicShapes: ["x": [0: Dim("batch", min: 1, max: 4)]])
        let x = Tensor.randn([2, 3, 32, 32], seed: 5)
        let eager = try net(x)
        #expect(eager.maxAbs > 0)
        #expect(try program.run([x])[0].scalars == eager.scalars)
    }

    @Test func smallModelMatchesEagerAtEveryBatchInRange() throws {
        let net = ExportFixtures.smallModel()
        let program = try export(net, exampleInputs: [.zeros([1, 3, 8, 8])], dynamicShapes: ["x": [0: Dim("batch", min: 1, max: 5)]])
        for batch in 1...5 {
            let x = Tensor.randn([batch, 3, 8, 8], seed: UInt64(batch))
            #expect(try program.run([x])[0].scalars == net(x).scalars)
        }
    }

    @Test func programKeepsItsWeightsWhenTheModelChanges() throws {
        let net = ExportFixtures.smallModel()
        let program = try export(net, exampleInputs: [.zeros([2, 3, 8, 8])])
        let x = Tensor.randn([2, 3, 8, 8], seed: 1)
        let before = try program(x).scalars
        net.initializeParameters(seed: 99)
        #expect(try program(x).scalars == before)
        #expect(try net(x).scalars != before)
    }
}
