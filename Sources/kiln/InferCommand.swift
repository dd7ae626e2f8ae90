import ArgumentParser
import Foundation
import Kiln

/// `kiln infer`: eager inference on a safetensors input, writing `logits`.
struct InferCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "infer",
        abstract: "Run a model (zoo, ONNX, torch.export or compiled library) on an input tensor and write its logits.",
        discussion: """
            Reads the input from a safetensors file (FILE:NAME picks a tensor; FILE alone \
            needs a file with exactly one tensor), writes the output tensor named `logits`, \
            and prints its shape, the top-5 classes of each batch row and the time taken.
            """
    )

    @OptionGroup var modelOptions: ModelOptions

    @Option(help: "Input tensor, FILE.safetensors[:NAME], shape (N, 3, H, W). Default: a seeded random batch.")
    var input: String?

    @Option(help: "Batch size of the seeded random input used when --input is not given.")
    var batch: Int = 1

    @Option(help: "Run a library built by `kiln compile` instead of the eager model (--model/--weights are then ignored).")
    var library: String?

    @Option(help: "Run an ONNX model (imported, then run by the graph interpreter) instead of a zoo model.")
    var onnx: String?

    @Option(help: "Run a torch.export archive (.pt2, imported, then run by the graph interpreter) instead of a zoo model.")
    var pt2: String?

    @Option(help: "Where to write the output (safetensors, tensor `logits`).")
    var output: String?

    func run() throws {
        try reportingErrors {
            if [library, onnx, pt2].compactMap({ $0 }).count > 1 {
                throw UsageError("--library, --onnx and --pt2 each name the model to run; give one", suggestion: "Suggested fix: keep one of them")
            }
            if library == nil, onnx == nil, pt2 == nil { _ = try modelOptions.name() }   // a bad name fails before any file is read
            try OutputChecks.check("--output", output,
                                   inputs: [("the input", input.map { InputSpec($0).path }), ("the weights", modelOptions.weights),
                                            ("the library", library), ("the ONNX model", onnx), ("the .pt2 program", pt2)],
                                   example: OutputChecks.sibling("logits.safetensors", of: output ?? ""))
            guard batch >= 1 else { throw UsageError("--batch must be at least 1, got \(batch)") }
            let given = try input.map { try InputSpec($0).load() }
            // A NaN or Inf would run to NaN logits and a meaningless top-5: say where it is instead.
            if let given, let input { try given.requireFinite(name: input) }
            var randomShape = [batch, 3, 224, 224]
            func requireRandomInputFits() throws {
                try requireFitsInMemory(randomShape, flag: "--batch", value: batch, what: "a random input",
                                        suggestion: "a smaller batch, e.g. --batch 32")
            }
            // Judged before anything is loaded or allocated (an ONNX model's input shape is
            // known only once it is imported: judged then, still before allocating).
            if given == nil, onnx == nil, pt2 == nil { try requireRandomInputFits() }
            let forward: (Tensor) throws -> Tensor
            let label: String
            var guards: InputGuards?
            if let imported = onnx ?? pt2 {
                let program = pt2 != nil ? try ProgramLoading.importPT2File(imported, range: nil)
                    : try ProgramLoading.importForRun(imported, batch: given?.shape.first ?? batch)
                if given == nil, let shape = program.signature.inputs.first?.shape {
                    randomShape = shape.map { $0.staticValue ?? batch }
                    try requireRandomInputFits()
                }
                (forward, label) = ({ try program($0) }, "eager \(program.modelName) (\(pt2 != nil ? "torch.export" : "ONNX"))")
                guards = program.guards
            } else if let library {
                let compiled = try aotLoad(library)
                (forward, label) = ({ try compiled($0) }, "compiled \(compiled.modelName)")
                guards = compiled.guards
            } else {
                let net = try modelOptions.build()
                (forward, label) = ({ try net($0) }, "eager \(try modelOptions.name().rawValue)")
            }
            let x: Tensor
            if let given {
                x = given
            } else {
                // The library's guards judge the random batch before it exists.
                try guards?.check(shapes: [randomShape])
                x = Tensor.randn(randomShape, seed: modelOptions.seed)
            }
            let (y, ms) = try timed { try forward(x) }
            try printPrediction(y, milliseconds: ms, label: label)
            if let output { try writeLogits(y, to: output) }
        }
    }
}

/// Prints the output shape, top-5 per row and the time.
func printPrediction(_ y: Tensor, milliseconds: Double, label: String) throws {
    print("logits: \(y.shape)")
    // Top-5 classes only make sense for (N, C) outputs (an ONNX model may return feature maps).
    for (row, top) in (y.rank == 2 ? y.topK(5) : []).enumerated() {
        let items = top.map { "\($0.index) (\(String(format: "%.4f", $0.value)))" }.joined(separator: ", ")
        print("  [\(row)] top-5: \(items)")
    }
    print(String(format: "time: %.2f ms (%@)", milliseconds, label))
}

/// Writes `y` as the tensor `logits`, atomically.
func writeLogits(_ y: Tensor, to path: String) throws {
    try Safetensors.write([("logits", y)], to: URL(fileURLWithPath: path))
    print("wrote \(path) (logits \(y.shape))")
}

/// `FILE.safetensors[:NAME]`.
struct InputSpec {
    let path: String
    let name: String?

    init(_ text: String) {
        // Split at the last colon that leaves an existing file before it, so that both paths
        // and tensor names may contain colons (`cases.safetensors:input:b1`).
        var colon = text.lastIndex(of: ":")
        while let c = colon, !Self.isFile(String(text[..<c])) {
            colon = text[..<c].lastIndex(of: ":")
        }
        if let colon, !Self.isFile(text) || text[text.index(after: colon)...].isEmpty {
            path = String(text[..<colon])
            let n = String(text[text.index(after: colon)...])
            name = n.isEmpty ? nil : n
        } else {
            path = text
            name = nil
        }
    }

    private static func isFile(_ path: String) -> Bool {
        var isDirectory: ObjCBool = false
        return FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) && !isDirectory.boolValue
    }

    func load() throws -> Tensor {
        let file = try SafetensorsFile(contentsOf: URL(fileURLWithPath: path))
        if let name { return try file.tensor(named: name) }
        guard file.tensorNames.count == 1 else {
            throw UsageError("--input \(path) holds \(file.tensorNames.count) tensors: \(file.tensorNames.joined(separator: ", "))",
                             suggestion: "Suggested fix: pick one with --input \(path):\(file.tensorNames.first { $0.contains("input") } ?? file.tensorNames.first ?? "NAME")")
        }
        return try file.tensor(named: file.tensorNames[0])
    }
}
