import Foundation
import Kiln

/// What `kiln bench` times: a zoo model exported with a dynamic batch, an ONNX model
/// (`--onnx`) imported with one when its batch is symbolic, or a torch.export archive
/// (`--pt2`) with its own range; eager runs go through the module or the graph interpreter.
struct BenchSource {
    let name: String
    let weightsLabel: String
    let program: ExportedProgram
    let eager: (Tensor) throws -> Tensor

    init(_ options: BenchCommand, maxBatch: Int) throws {
        if let path = options.onnx ?? options.pt2 {
            if options.onnx != nil, options.pt2 != nil {
                throw UsageError("--onnx and --pt2 each name the model to time; give one", suggestion: "Suggested fix: keep one of them")
            }
            let program = options.pt2 != nil ? try ProgramLoading.importPT2File(path, range: nil)
                : try ProgramLoading.importForRun(path, batch: maxBatch)
            name = URL(fileURLWithPath: path).lastPathComponent
            weightsLabel = "the model's own"
            self.program = program
            eager = { try program($0) }
            return
        }
        let model = try options.modelOptions.name()
        let net = try Kiln.model(model, weights: options.modelOptions.weightsSource())
        name = model.rawValue
        weightsLabel = options.modelOptions.weights.map { URL(fileURLWithPath: $0).lastPathComponent }
            ?? "seeded (seed \(options.modelOptions.seed), not pretrained)"
        program = try export(net, exampleInputs: [.zeros([1, 3, 224, 224])],
                             dynamicShapes: ["x": [0: Dim("batch", min: 1, max: maxBatch)]])
        eager = { try net($0) }
    }

    func inputShape(batch: Int) throws -> [Int] { try Self.shape(of: program, batch: batch) }

    /// The program's (single) input shape for a batch; a static batch must be that batch.
    static func shape(of program: ExportedProgram, batch: Int) throws -> [Int] {
        guard program.signature.inputs.count == 1, let shape = program.signature.inputs.first?.shape else {
            throw UsageError("kiln bench times programs of one input; this one has \(program.signature.inputs.count)")
        }
        if let fixed = shape.first?.staticValue, fixed != batch {
            throw UsageError("the model's batch is static (\(fixed)), so it cannot run batch \(batch)",
                             suggestion: "Suggested fix: --batches \(fixed), or re-export the model with a symbolic batch (dynamic_axes)")
        }
        return shape.map { $0.staticValue ?? batch }
    }
}
