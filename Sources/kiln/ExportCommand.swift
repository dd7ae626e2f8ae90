import ArgumentParser
import Foundation
import Kiln

/// `kiln export`: captures a zoo model as one graph with a dynamic batch and writes it as a
/// `.kep` program file (safetensors weights + graph JSON), printing its listing.
struct ExportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "Export a model as a graph program (.kep) with a dynamic batch dimension.",
        discussion: """
            Traces the model over a symbolic batch (the graph keeps it as the symbol s0) on an \
            example of --example-batch images of --image-size pixels, writes the program and \
            prints its listing. At run time the program accepts batches 1…MAX: MIN constrains \
            the export only. Without --dynamic-batch every dimension is static.
            """
    )

    @OptionGroup var modelOptions: ModelOptions

    @Option(name: .customLong("dynamic-batch"), help: ArgumentHelp("Batch range the program supports, MIN...MAX (e.g. 2...32).", valueName: "min...max"))
    var dynamicBatch: String?

    @Option(help: "Batch size of the example input. Default: the range's MIN (1 without --dynamic-batch).")
    var exampleBatch: Int?

    @Option(help: "Height and width of the example images (fixed in the program).")
    var imageSize: Int = 224

    @Option(help: "Where to write the program (conventionally .kep).")
    var output: String

    func run() throws {
        try reportingErrors(.export) {
            _ = try modelOptions.name()   // a bad name fails before the weights are read
            try OutputChecks.check("--output", output, inputs: [("the weights", modelOptions.weights)],
                                   example: OutputChecks.sibling("model.kep", of: output))
            let range = try dynamicBatch.map(Self.parseRange)
            if let exampleBatch { try requireBatch(exampleBatch, flag: "--example-batch") }
            guard imageSize >= 1 else {
                throw UsageError("--image-size \(imageSize) must be at least 1", suggestion: "Suggested fix: --image-size 224")
            }
            // A range starting below 1 is export's to refuse (with a range that works), not the example's.
            let batch = exampleBatch ?? max(range?.min ?? 1, 1)
            let net = try modelOptions.build()
            let shapes: DynamicShapes = range.map { ["x": [0: Dim("batch", min: $0.min, max: $0.max)]] } ?? [:]
            // Capture needs the example's shape only: no tensor of that size is allocated.
            let program = try export(net, exampleShapes: [[batch, 3, imageSize, imageSize]], dynamicShapes: shapes)
            try program.save(to: URL(fileURLWithPath: output))
            print(program)
            print("wrote \(output) (\(program.graph.nodes.count) nodes, \(program.stateDict.count) constants, graph \(program.graphHash))")
        }
    }

    /// `MIN...MAX` (or `MIN..MAX`).
    static func parseRange(_ text: String) throws -> (min: Int, max: Int) {
        let parts = text.contains("...") ? text.components(separatedBy: "...") : text.components(separatedBy: "..")
        guard parts.count == 2, let lo = Int(parts[0].trimmingCharacters(in: .whitespaces)),
              let hi = Int(parts[1].trimmingCharacters(in: .whitespaces)) else {
            throw UsageError("--dynamic-batch \"\(text)\" is not a range MIN...MAX", suggestion: "Suggested fix: --dynamic-batch 2...32")
        }
        return (lo, hi)
    }
}
