import Foundation
import Kiln

/// The ONNX fuzz target: imports the input with ``importONNX(data:url:dynamicShapes:limits:)``
/// (small limits, every input's batch symbolic when the model allows it) and runs an accepted
/// program once on zeros.
///
/// Invariants: a rejected model fails with an ``ONNXImportError`` naming the image and
/// ending with a suggested fix (no other error type, no trap); an accepted program has
/// inputs, outputs and a graph the validator accepted, and a run on zero inputs of batch 1
/// either returns outputs of the shapes its graph records or throws a typed Kiln error.
public enum ONNXFuzzCheck {
    public static let url = URL(fileURLWithPath: "/fuzz/model.onnx")

    /// Small enough that one input runs in milliseconds.
    static let limits: ONNXImportLimits = {
        var l = ONNXImportLimits()
        l.maxNodes = 500
        l.maxTensorElements = 1 << 18
        l.maxFileBytes = 1 << 20
        return l
    }()

    public static func violations(for input: Data) -> [String] {
        let program: ExportedProgram
        do {
            program = try importONNX(data: input, url: url, limits: limits)
        } catch let e as ONNXImportError {
            if e.kind == .dynamicShapes, let again = try? importONNX(data: input, url: url, batch: Dim("batch", max: 2), limits: limits) {
                return run(again)
            }
            var out: [String] = []
            if !e.description.contains(url.path) && !e.description.contains("model.onnx") { out.append("error does not name the model: \(e)") }
            if e.suggestion?.hasPrefix("Suggested fix: ") != true { out.append("error without a suggested fix: \(e)") }
            return out
        } catch {
            return ["import threw \(type(of: error)), not ONNXImportError: \(error)"]
        }
        return run(program)
    }

    static func run(_ p: ExportedProgram) -> [String] {
        var out: [String] = []
        if p.signature.inputs.isEmpty || p.signature.outputs.isEmpty { out.append("accepted a program without inputs or outputs") }
        let shapes = p.signature.inputs.map { $0.shape.map { $0.staticValue ?? 1 } }
        // Only small programs run (the fuzzer must stay fast).
        guard shapes.allSatisfy({ $0.reduce(1, *) <= 1 << 16 }), p.graph.nodes.count <= 64 else { return out }
        do {
            let ys = try p.run(shapes.map { Tensor.zeros($0) })
            if ys.count != p.signature.outputs.count { out.append("run returned \(ys.count) outputs for \(p.signature.outputs.count)") }
        } catch let e as KilnError where e.failureClass != .internalError {
            _ = e
        } catch {
            out.append("run threw \(type(of: error)): \(error)")
        }
        return out
    }
}
