import Foundation
import Testing
@testable import Kiln

/// A module that cannot be traced (not Traceable).
final class Gelu: Module {
    override func forward(_ x: Tensor) throws -> Tensor { x }
}

@Suite struct ExportErrorTests {
    let net = ModelName.resnet18.build()
    let x = Tensor.zeros([2, 3, 32, 32])

    private func exportError(model: Module? = nil, inputs: [Tensor]? = nil, _ shapes: DynamicShapes) throws -> ExportError {
        try #require(throws: ExportError.self) { try export(model ?? net, exampleInputs: inputs ?? [x], dynamicShapes: shapes) }
    }

    @Test func minAboveMax() throws {
        let e = try exportError(["x": [0: Dim("batch", min: 32, max: 2)]])
        #expect(e == .minAboveMax(input: "x", dimension: 0, dim: Dim("batch", min: 32, max: 2)))
        #expect(e.description.contains("min 32 > max 2"))
        #expect(e.suggestion == "Suggested fix: Dim(\"batch\", min: 2, max: 32)")
        #expect(e.failureClass == .shape)
    }

    @Test func minBelowOne() throws {
        let e = try exportError(["x": [0: Dim("batch", min: 0, max: 64)]])
        #expect(e.suggestion == "Suggested fix: Dim(\"batch\", min: 1, max: 64)")
    }

    @Test func maxTooLarge() throws {
        let e = try exportError(["x": [0: Dim("batch", min: 1, max: Int.max)]])
        #expect(e.suggestion == "Suggested fix: Dim(\"batch\", min: 1, max: 1024)")
    }

    @Test func exampleAboveMax() throws {
        let e = try exportError(inputs: [.zeros([64, 3, 32, 32])], ["x": [0: Dim("batch", min: 2, max: 32)]])
        #expect(e.description == "export: input x: dimension 0 of the example is 64, outside Dim(\"batch\", min: 2, max: 32) (2…32)")
        #expect(e.suggestion == "Suggested fix: Dim(\"batch\", min: 2, max: 64)")
    }

    @Test func exampleBelowMin() throws {
        let e = try exportError(inputs: [.zeros([1, 3, 32, 32])], ["x": [0: Dim("batch", min: 2, max: 32)]])
        #expect(e.suggestion == "Suggested fix: Dim(\"batch\", min: 1, max: 32)")
    }

    @Test func dimOnHeightCannotStaySymbolic() throws {
        let e = try exportError(["x": [0: Dim("batch", min: 2, max: 32), 2: Dim("height", min: 32, max: 512)]])
        guard case let .dimensionMustBeStatic(input, dimension, _, op, module, _) = e else { Issue.record("got \(e)"); return }
        #expect(input == "x" && dimension == 2 && op == .conv2d && module == "conv1")
        #expect(e.description.contains("conv2d at `conv1` needs it static"))
        #expect(e.suggestion == "Suggested fix: dynamicShapes: [\"x\": [0: Dim(\"batch\", min: 2, max: 32)]]")
    }

    @Test func dimOnChannelsAlone() throws {
        let e = try exportError(inputs: [.zeros([2, 3, 32, 32])], ["x": [1: Dim("c", min: 1, max: 3)]])
        #expect(e.suggestion == "Suggested fix: dynamicShapes: [:]")
    }

    @Test func flattenOfTheBatchCannotStaySymbolic() throws {
        let m = Sequential(Flatten(startDim: 0))
        let e = try exportError(model: m, inputs: [.zeros([2, 3])], ExportFixtures.batch2to32)
        #expect(e.description.contains("flatten at `0` needs it static"))
        #expect(e.suggestion == "Suggested fix: dynamicShapes: [:]")
    }

    @Test func unknownInputName() throws {
        let e = try exportError(["input": [0: Dim("batch", min: 2, max: 32)]])
        #expect(e.description.contains("names the input \"input\", but the model's inputs are \"x\""))
        #expect(e.suggestion == "Suggested fix: dynamicShapes: [\"x\": [0: Dim(\"batch\", min: 2, max: 32)]]")
    }

    @Test func dimensionOutOfRange() throws {
        let e = try exportError(["x": [0: Dim("batch", min: 2, max: 32), 4: Dim("extra", max: 2)]])
        #expect(e.description.contains("dimension 4 of input x, but its example has shape [2, 3, 32, 32]"))
        #expect(e.suggestion == "Suggested fix: dynamicShapes: [\"x\": [0: Dim(\"batch\", min: 2, max: 32)]]")
    }

    @Test func wrongNumberOfExampleInputs() throws {
        for inputs in [[Tensor](), [x, x]] {
            let e = try exportError(inputs: inputs, [:])
            #expect(e == .inputCount(expected: 1, got: inputs.count))
            #expect(e.suggestion?.hasPrefix("Suggested fix: export(model, exampleInputs: [Tensor.randn(") == true)
        }
    }

    @Test func untraceableModuleIsAGraphBreak() throws {
        let m = Sequential(Conv2d(3, 4, kernelSize: 1), Gelu())
        let e = try exportError(model: m, ExportFixtures.batch2to32)
        #expect(e == .notTraceable(module: "1", type: "Gelu"))
        #expect(e.description.contains("Gelu at `1` is not Traceable"))
        #expect(e.suggestion?.hasPrefix("Suggested fix: extension Gelu: Traceable {") == true)
        #expect(e.failureClass == .badInput)
    }

    @Test func exampleThatDoesNotFitTheModel() throws {
        let e = try exportError(inputs: [.zeros([2, 4, 32, 32])], ExportFixtures.batch2to32)
        guard case let .shapeMismatch(module, op, message) = e else { Issue.record("got \(e)"); return }
        #expect(module == "conv1" && op == .conv2d)
        #expect(message.contains("4 channels"))
        #expect(e.suggestion?.hasPrefix("Suggested fix: ") == true)
    }

    @Test func everyErrorEndsWithAPasteableFix() throws {
        let errors: [ExportError] = [
            .inputCount(expected: 1, got: 2), .unknownInput(name: "y", inputs: ["x"], fixed: [:]),
            .dimensionOutOfRange(input: "x", dimension: 5, shape: [1], fixed: [:]),
            .minAboveMax(input: "x", dimension: 0, dim: Dim("b", min: 3, max: 2)),
            .minBelowOne(input: "x", dimension: 0, dim: Dim("b", min: 0, max: 2)),
            .maxTooLarge(input: "x", dimension: 0, dim: Dim("b", min: 1, max: Int.max)),
            .exampleOutsideRange(input: "x", dimension: 0, size: 9, dim: Dim("b", min: 1, max: 2)),
            .dimensionMustBeStatic(input: "x", dimension: 2, dim: Dim("h", max: 2), op: .conv2d, module: "conv1", fixed: [:]),
            .notTraceable(module: "a", type: "T"), .shapeMismatch(module: "", op: .linear, message: "m"),
        ]
        for e in errors {
            #expect(e.suggestion?.hasPrefix("Suggested fix: ") == true, "\(e)")
            #expect(e.fullDescription.split(separator: "\n").last?.hasPrefix("Suggested fix: ") == true)
        }
    }
}
