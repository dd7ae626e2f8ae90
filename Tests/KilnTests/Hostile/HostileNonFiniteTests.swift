import Foundation
import Testing
@testable import Kiln

/// NaN and ±Inf inputs: Kiln computes on them by default (they are legal floats), which turns
/// every logit they reach into NaN. The opt-in check (`checkFinite: true`, or
/// `Tensor.firstNonFinite()`) names the first non-finite element instead.
@Suite struct HostileNonFiniteTests {
    /// A good input with `value` planted at `index`.
    static func planted(_ value: Float, at index: [Int]) -> Tensor {
        var x = Tensor.randn([2, 3, 32, 32], seed: 7).scalars
        x[((index[0] * 3 + index[1]) * 32 + index[2]) * 32 + index[3]] = value
        return Tensor(shape: [2, 3, 32, 32], values: x)
    }

    @Test func firstNonFiniteNamesTheElement() {
        #expect(Tensor.randn([2, 3, 32, 32], seed: 7).firstNonFinite() == nil)
        for value in [Float.nan, .infinity, -.infinity] {
            let found = Self.planted(value, at: [1, 2, 3, 4]).firstNonFinite()
            #expect(found?.index == [1, 2, 3, 4] && found?.flatIndex == 5220, "\(String(describing: found))")
            #expect(found.map { $0.value.isNaN == value.isNaN && ($0.value.isNaN || $0.value == value) } == true)
        }
        // The first one in memory order wins.
        var x = Self.planted(.infinity, at: [1, 0, 0, 0]).scalars
        x[5] = .nan
        #expect(Tensor(shape: [2, 3, 32, 32], values: x).firstNonFinite()?.index == [0, 0, 0, 5])
    }

    @Test func programAndLibraryRefuseNonFiniteInputsOnlyWhenAsked() throws {
        let x = Self.planted(.nan, at: [0, 1, 2, 3])
        let library = try aotLoad(CompileFixtures.smallLibrary)
        let surfaces: [(String, (Bool) throws -> [Tensor])] = [
            ("exported", { try CompileFixtures.smallProgram.run([x], checkFinite: $0) }),
            ("compiled", { try library.run([x], checkFinite: $0) }),
        ]
        for (name, run) in surfaces {
            // Default: computed, and the NaN reaches the logits (what `infer` used to print as a top-5).
            #expect(try run(false)[0].scalars.contains { $0.isNaN }, "\(name)")
            let e = Hostile.expectFailure(NonFiniteInputError.self, .badInput, naming: ["input x", "[0, 1, 2, 3]"]) { _ = try run(true) }
            #expect(e?.description == "input x: element [0, 1, 2, 3] (flat index 1091) is NaN; every output it reaches would be NaN or infinite", "\(name)")
            #expect(e?.suggestion == "Suggested fix: replace or drop non-finite values before running the model (e.g. torch.nan_to_num in PyTorch), or fix what produced them")
        }
    }
}
