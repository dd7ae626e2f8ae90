import Foundation
import Testing
@testable import Kiln

@Suite struct ExportGuardTests {
    /// `x: [s0, 3, 64, 64]` with s0 in 2…32.
    let guards = InputGuards(inputs: [GraphInput(name: "x", shape: [.symbol("s0"), .static(3), .static(64), .static(64)])],
                             rangeConstraints: [RangeConstraint(symbol: "s0", dimName: "batch", min: 2, max: 32)])

    private func violation(_ shapes: [[Int]]) throws -> InputGuardError {
        try #require(throws: InputGuardError.self) { try guards.check(shapes: shapes) }
    }

    @Test func acceptsBatchesFromOneToMax() throws {
        // min (2) constrains export only: batch 1 runs.
        for n in [1, 2, 17, 32] { #expect(try guards.check(shapes: [[n, 3, 64, 64]]) == ["s0": n]) }
    }

    @Test func batchAboveMaxInTheIssuesWords() throws {
        let e = try violation([[64, 3, 64, 64]])
        #expect(e.fullDescription == """
            input x: dimension 0 is 64, but the program allows batch ≤ 32 (Dim "batch", max: 32)
            Suggested fix: export with Dim("batch", min: 2, max: 64)
            """)
        #expect(e.failureClass == .shape)
    }

    @Test func batchZero() throws {
        let e = try violation([[0, 3, 64, 64]])
        #expect(e.description == "input x: dimension 0 is 0, but the program needs batch ≥ 1 (Dim \"batch\", max: 32)")
        #expect(e.suggestion == "Suggested fix: pass at least one item, e.g. Tensor.randn([1, 3, 64, 64])")
    }

    @Test func staticDimension() throws {
        let e = try violation([[4, 3, 80, 64]])
        #expect(e.description == "input x: dimension 2 is 80, but the program was exported for 64 (input shape [s0, 3, 64, 64], got [4, 3, 80, 64])")
        #expect(e.suggestion == "Suggested fix: pass a tensor of shape [4, 3, 64, 64], or export again with exampleInputs: [Tensor.randn([4, 3, 80, 64])]")
        let c = try violation([[4, 1, 64, 64]])
        #expect(c == .staticDimension(input: "x", dimension: 1, expected: guards.inputs[0].shape, got: [4, 1, 64, 64], example: [4, 1, 64, 64]))
    }

    @Test func rank() throws {
        let e = try violation([[3, 64, 64]])
        #expect(e.description == "input x: rank 3 (shape [3, 64, 64]), but the program expects rank 4: [s0, 3, 64, 64]")
        #expect(e.suggestion == "Suggested fix: add the batch dimension: x.reshaped([1, 3, 64, 64])")
        let f = try violation([[2, 3, 64, 64, 1]])
        #expect(f.suggestion == "Suggested fix: pass a tensor of shape [1, 3, 64, 64], e.g. Tensor.randn([1, 3, 64, 64])")
    }

    @Test func inputCount() throws {
        let e = try violation([])
        #expect(e.fullDescription == "the program takes 1 input (x), got 0\nSuggested fix: program.run([x])")
        #expect(try violation([[2, 3, 64, 64], [2, 3, 64, 64]]) == .inputCount(names: ["x"], got: 2))
    }

    @Test func sharedSymbolsMustAgree() throws {
        let two = InputGuards(inputs: [GraphInput(name: "a", shape: [.symbol("s0")]), GraphInput(name: "b", shape: [.symbol("s0")])],
                              rangeConstraints: [RangeConstraint(symbol: "s0", dimName: "n", min: 1, max: 8)])
        #expect(try two.check(shapes: [[3], [3]]) == ["s0": 3])
        #expect(throws: InputGuardError.inconsistentSymbol(input: "b", dimension: 0, size: 4, symbol: "s0", bound: 3)) {
            try two.check(shapes: [[3], [4]])
        }
    }

    @Test func programRunIsGuarded() throws {
        let program = try export(ExportFixtures.smallModel(), exampleInputs: [.zeros([2, 3, 8, 8])],
                                 dynamicShapes: ["x": [0: Dim("batch", min: 2, max: 4)]])
        #expect(program.guards.inputs == program.signature.inputs)
        #expect(throws: InputGuardError.aboveMax(input: "x", dimension: 0, size: 5, constraint: program.rangeConstraints[0])) {
            try program.run([.zeros([5, 3, 8, 8])])
        }
        #expect(throws: InputGuardError.self) { try program.run([.zeros([0, 3, 8, 8])]) }
        #expect(throws: InputGuardError.self) { try program.run([.zeros([2, 3, 9, 8])]) }
        #expect(throws: InputGuardError.self) { try program.run([.zeros([3, 8, 8])]) }
        #expect(throws: InputGuardError.self) { try program.run([]) }
        #expect(try program.run([.zeros([1, 3, 8, 8])])[0].shape == [1, 2])
    }
}
