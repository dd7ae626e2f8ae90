import Foundation
import Testing
@testable import Kiln

/// Hostile attribute and parameter values of the operators added for issue 11: each is a
/// typed ONNXImportError naming the node and opset with a fix, never a crash or a huge
/// allocation.
@Suite struct HostileONNXOpsTests {
    /// x: (batch, 2, 4, 4) → node → y.
    static func image(_ build: (inout ONNXModelBuilder) -> Void) -> ONNXModelBuilder {
        var b = ONNXModelBuilder()
        b.opset = 19
        b.input("x", ["batch", 2, 4, 4])
        build(&b)
        b.output("y")
        return b
    }

    static func refusal(_ b: ONNXModelBuilder, _ name: String = #function) throws -> ONNXImportError {
        let url = try b.write(to: CompileFixtures.scratch("hostile-ops-" + name), name: "m.onnx")
        do {
            _ = try importONNX(url, dynamicShapes: ["x": [0: Dim("batch", min: 1, max: 4)]])
        } catch let e as ONNXImportError {
            #expect(e.failureClass == .badInput, "\(e)")
            #expect(e.suggestion?.hasPrefix("Suggested fix:") == true || e.kind == .shapeMismatch, "\(e)")
            return e
        }
        Issue.record("\(name) was imported")
        throw CancellationError()
    }

    @Test func tileThatWouldExplodeIsALimitNotAnAllocation() throws {
        let e = try Self.refusal(Self.image { b in
            b.initializer("r", dims: [4], int64s: [1, 1, 100_000, 100_000])
            b.node("Tile", ["x", "r"], ["y"], name: "bomb")
        })
        guard case let .limitExceeded(at, what, limit, _, _) = e else { Issue.record("got \(e)"); return }
        #expect(at.node == "\"bomb\" (Tile)" && at.opset == 19 && limit == .maxTensorElements && what.contains("Tile repeats"))
        let zero = try Self.refusal(Self.image { b in
            b.initializer("r", dims: [4], int64s: [1, 0, 1, 1])
            b.node("Tile", ["x", "r"], ["y"], name: "empty")
        })
        #expect(zero.kind == .unsupportedAttribute && zero.description.contains("repeats [1, 0, 1, 1]"))
    }

    @Test func resizeScalesThatAreNaNNegativeOrHugeAreRefused() throws {
        for (i, scale) in [Float.nan, -2, 1e9].enumerated() {
            let e = try Self.refusal(Self.image { b in
                b.initializer("s", dims: [4], floats: [1, 1, scale, 1])
                b.node("Resize", ["x", "", "s"], ["y"], name: "r\(i)", string: ["mode": "linear"])
            }, "scale\(i)")
            #expect(e.description.contains("\"r\(i)\" (Resize), opset 19"), "\(e)")
            if scale == 1e9 { #expect(e.kind == .limitExceeded) } else { #expect(e.kind == .shapeMismatch) }
        }
        let batch = try Self.refusal(Self.image { b in
            b.initializer("s", dims: [4], floats: [2, 1, 1, 1])
            b.node("Resize", ["x", "", "s"], ["y"], name: "rb")
        })
        #expect(batch.kind == .unsupportedAttribute && batch.description.contains("the batch"))
        let mode = try Self.refusal(Self.image { b in
            b.initializer("s", dims: [4], floats: [1, 1, 2, 2])
            b.node("Resize", ["x", "", "s"], ["y"], name: "rm", string: ["mode": "lanczos"])
        })
        #expect(mode.kind == .unsupportedAttribute && mode.description.contains("\"lanczos\""))
    }

    @Test func convTransposeOutputShapeAndAutoPadAreChecked() throws {
        let shape = try Self.refusal(Self.image { b in
            b.initializer("w", dims: [2, 1, 3, 3], floats: [Float](repeating: 0.1, count: 18))
            b.node("ConvTranspose", ["x", "w"], ["y"], name: "ct", ints: ["output_shape": [0, -5]])
        })
        #expect(shape.kind == .shapeMismatch && shape.description.contains("output_shape [0, -5]"))
        let pad = try Self.refusal(Self.image { b in
            b.initializer("w", dims: [2, 1, 3, 3], floats: [Float](repeating: 0.1, count: 18))
            b.node("ConvTranspose", ["x", "w"], ["y"], name: "ct", string: ["auto_pad": "SAME_MIDDLE"])
        })
        #expect(pad.kind == .unsupportedAttribute && pad.description.contains("SAME_MIDDLE"))
    }

    @Test func normalisationAndMathParametersAreChecked() throws {
        let scale = try Self.refusal(Self.image { b in
            b.initializer("s", dims: [3], floats: [1, 1, 1])
            b.initializer("b", dims: [2], floats: [0, 0])
            b.node("InstanceNormalization", ["x", "s", "b"], ["y"], name: "in")
        })
        #expect(scale.kind == .shapeMismatch && scale.description.contains("[2] for 2 channels"))
        let alpha = try Self.refusal(Self.image { b in
            b.node("Elu", ["x"], ["y"], name: "elu", float: ["alpha": .infinity])
        })
        #expect(alpha.kind == .unsupportedAttribute && alpha.description.contains("\"elu\" (Elu), opset 19: attribute alpha is inf"))
    }

    @Test func layerNormAndGeluParametersAreChecked() throws {
        let scale = try Self.refusal(Self.image { b in
            b.initializer("s", dims: [3], floats: [1, 1, 1])
            b.node("LayerNormalization", ["x", "s"], ["y"], name: "ln")
        })
        #expect(scale.kind == .shapeMismatch && scale.description.contains("Scale [3] does not broadcast to the normalised shape [4]"), "\(scale)")
        let batch = try Self.refusal(Self.image { b in
            b.initializer("s", dims: [4], floats: [1, 1, 1, 1])
            b.node("LayerNormalization", ["x", "s"], ["y"], name: "ln0", int: ["axis": 0])
        })
        #expect(batch.kind == .unsupportedAttribute && batch.description.contains("symbolic batch"), "\(batch)")
        let eps = try Self.refusal(Self.image { b in
            b.initializer("s", dims: [4], floats: [1, 1, 1, 1])
            b.node("LayerNormalization", ["x", "s"], ["y"], name: "lneps", float: ["epsilon": .nan])
        })
        #expect(eps.kind == .unsupportedAttribute && eps.description.contains("epsilon is nan"), "\(eps)")
        let gelu = try Self.refusal(Self.image { b in
            b.opset = 20
            b.node("Gelu", ["x"], ["y"], name: "g", string: ["approximate": "fast"])
        })
        #expect(gelu.kind == .unsupportedAttribute && gelu.description.contains("\"g\" (Gelu), opset 20") && gelu.description.contains("\"fast\""), "\(gelu)")
    }
}
