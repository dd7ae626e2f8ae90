import Foundation
import Testing
@testable import Kiln

/// Eager ResNet-18 against PyTorch 2.15's own outputs for the same weights and inputs.
/// Tolerance: max |Δ| ≤ 1e-4 · max|reference| on every tensor.
@Suite(.serialized) struct ResNetFixtureTests {
    static let tolerance: Float = 1e-4

    static func expectMatches(_ got: Tensor, _ want: Tensor, _ what: String) {
        let c = got.compare(to: want, rtol: 0, atol: tolerance * want.maxAbs)
        #expect(c.isClose, "\(what): \(c)")
    }

    @Test func logitsBatch1AndIntermediates() throws {
        guard let weights = Fixtures.file("resnet18.safetensors"), let cases = Fixtures.file("resnet18_cases.safetensors") else { return }
        let net = try resnet18(weights: .safetensors(weights))
        let file = try SafetensorsFile(contentsOf: cases)
        let (logits, taps) = try net.forwardWithIntermediates(try file.tensor(named: "input_b1"))
        for (name, t) in taps {
            Self.expectMatches(t, try file.tensor(named: "\(name)_b1"), "\(name)_b1")
        }
        Self.expectMatches(logits, try file.tensor(named: "logits_b1"), "logits_b1")
    }

    @Test func logitsBatch3() throws {
        guard let weights = Fixtures.file("resnet18.safetensors"), let cases = Fixtures.file("resnet18_cases.safetensors") else { return }
        let net = try resnet18(weights: .safetensors(weights))
        let file = try SafetensorsFile(contentsOf: cases)
        let logits = try net(try file.tensor(named: "input_b3"))
        Self.expectMatches(logits, try file.tensor(named: "logits_b3"), "logits_b3")
    }

    @Test func batchRowsAreIndependent() throws {
        // Row i of a batch equals the same image run alone (no cross-talk between images).
        let net = try resnet18(weights: .seeded(3))
        let x = Tensor.randn([3, 3, 64, 64], seed: 1)
        let all = try net(x)
        let one = try net(x.slice(batch: 1..<2))
        Self.expectMatches(all.slice(batch: 1..<2), one, "row 1 of batch 3 vs alone")
    }
}
