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
        try reportingErrors {
            _ = try modelOptions.name()   // a bad name fails before the weights are read
            let range = try dynamicBatch.map(Self.parseRange)
            guard imageSize >= 1 else {
                throw UsageError("--image-size \(imageSize) must be at least 1", suggestion: "Suggested fix: --image-size 224")
            }
            let batch = exampleBatch ?? range?.min ?? 1
            let net = try modelOptions.build()
            let shapes: DynamicShapes = range.map { ["x": [0: Dim("batch", min: $0.min, max: $0.max)]] } ?? [:]
            let program: ExportedProgram
            do {
                program = try export(net, exampleInputs: [.zeros([batch, 3, imageSize, imageSize])], dynamicShapes: shapes)
            } catch let error as ExportError {
                throw CLIExportError(error)
            }
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

/// An ``ExportError`` from the CLI: the same message, with the fix in command-line terms
/// (the Swift form follows in parentheses).
struct CLIExportError: KilnError {
    let underlying: ExportError
    init(_ underlying: ExportError) { self.underlying = underlying }

    var failureClass: FailureClass { underlying.failureClass }
    var description: String { underlying.description }

    var suggestion: String? {
        let swift = underlying.suggestion.map { " (" + $0.replacingOccurrences(of: "Suggested fix: ", with: "") + ")" } ?? ""
        switch underlying {
        case let .minAboveMax(_, _, dim):
            return "Suggested fix: --dynamic-batch \(dim.max)...\(dim.min)" + swift
        case let .minBelowOne(_, _, dim):
            return "Suggested fix: --dynamic-batch 1...\(max(dim.max, 1))" + swift
        case let .exampleOutsideRange(_, _, size, dim):
            return "Suggested fix: --example-batch \(dim.min), or --dynamic-batch \(min(dim.min, size))...\(max(dim.max, size))" + swift
        case .shapeMismatch:
            return "Suggested fix: --image-size 224"
        default:
            return underlying.suggestion
        }
    }
}
