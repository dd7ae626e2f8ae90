import ArgumentParser
import Foundation
import Kiln

/// `kiln import`: an ONNX model or a torch.export `.pt2` archive → a `.kep` program (with a
/// dynamic batch), printing its listing.
struct ImportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import",
        abstract: "Import an ONNX model or a torch.export archive (.pt2) as a graph program (.kep).",
        discussion: """
            Reads the model (and any external data files in its folder), folds its shape \
            arithmetic and constants, maps its operators onto Kiln's graph ops, writes the \
            program and prints its listing. A model whose batch dimension is symbolic (a \
            dim_param such as "batch") needs --dynamic-batch MIN...MAX; a static batch cannot \
            be made dynamic. A .pt2 archive (torch.export.save) keeps its own dynamic \
            dimensions and ranges (e.g. s77: 2…32); its schema version is printed. Unsupported \
            operators are all listed at once.
            """
    )

    @Argument(help: "The ONNX model (e.g. mobilenet_v2.onnx) or torch.export archive (e.g. resnet18.pt2).")
    var model: String

    @Option(name: .customLong("dynamic-batch"), help: ArgumentHelp("Batch range of an ONNX model's symbolic batch, MIN...MAX (e.g. 1...32).", valueName: "min...max"))
    var dynamicBatch: String?

    @Option(help: "Where to write the program (conventionally .kep).")
    var output: String

    func run() throws {
        try reportingErrors {
            try OutputChecks.check("--output", output, inputs: [(ProgramLoading.isPT2(model) ? "the .pt2 program" : "the ONNX model", model)],
                                   example: OutputChecks.sibling("model.kep", of: output))
            let range = try dynamicBatch.map(ExportCommand.parseRange)
            let program: ExportedProgram
            if ProgramLoading.isPT2(model) {
                program = try ProgramLoading.importPT2File(model, range: range)
                let info = try readPT2Info(URL(fileURLWithPath: model))
                print("torch.export program \(info.modelName), schema \(info.schemaVersion)\(info.torchVersion.map { ", torch \($0)" } ?? "")")
            } else {
                program = try ProgramLoading.importONNXFile(model, range: range)
            }
            try program.save(to: URL(fileURLWithPath: output))
            print(program)
            print("wrote \(output) (\(program.graph.nodes.count) nodes, \(program.stateDict.count) constants, graph \(program.graphHash))")
        }
    }
}
