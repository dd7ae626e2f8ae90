import ArgumentParser
import Foundation
import Kiln

/// `kiln inspect`: what a compiled library is — model, graph hash, ABI, I/O, kernels, CPU.
struct InspectCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "inspect",
        abstract: "Print the metadata of a library built by `kiln compile`."
    )

    @Argument(help: "The compiled library (.so).")
    var library: String

    @Flag(help: "Print the metadata JSON as is (pretty-printed, sorted keys).")
    var json = false

    func run() throws {
        try reportingErrors {
            let model = try aotLoad(library)
            if json {
                print(model.metadataDescription)
                return
            }
            let meta = (try? JSONSerialization.jsonObject(with: Data(model.metadataJSON.utf8))) as? [String: Any] ?? [:]
            func text(_ k: String) -> String { meta[k].map { "\($0)" } ?? "?" }
            print("\(library): \(model.modelName), graph hash \(model.graphHash)")
            print("built by Kiln \(text("kiln_version")), ABI \(text("abi_version")), codegen v\(text("codegen_version"))")
            let ranges = Dictionary(model.guards.constraints.values.map { ($0.symbol, $0) }, uniquingKeysWith: { a, _ in a })
            func shape(_ dims: [SymDim]) -> String {
                "[" + dims.map { d in d.symbolName.map { s in ranges[s].map { "\($0.dimName) 1…\($0.max)" } ?? s } ?? d.description }
                    .joined(separator: ", ") + "]"
            }
            for i in model.guards.inputs { print("input  \(i.name) \(shape(i.shape))") }
            for o in model.outputs { print("output \(o.name) \(shape(o.shape))") }
            if let options = meta["options"] as? [String: Any] {
                print("options: " + options.keys.sorted().map { "\($0)=\(options[$0]!)" }.joined(separator: ", "))
            }
            if let choices = meta["autotune"] as? [[String: Any]] {
                print("kernels (\(choices.count) convolutions):")
                for c in choices {
                    print("  \(c["step"] ?? "?") \(c["shape"] ?? "?"): \(c["algorithm"] ?? "?") (\(c["source"] ?? "?"))")
                }
            }
            if let cpu = meta["cpu"] as? [String: Any] {
                print("built for: \(cpu["model"] ?? "?") with -march=\(cpu["march"] ?? "?"), features \((cpu["features"] as? [String])?.joined(separator: " ") ?? "?")")
            }
            print("compiler: \(text("compiler"))")
            print("needs: \(model.neededLibraries.map { $0.isEmpty ? "nothing (static)" : $0.joined(separator: " ") } ?? "? (the dynamic section is unreadable)")")
            if let flags = meta["flags"] as? [String] { print("flags: \(flags.joined(separator: " "))") }
            print("arena: \(text("arena_floats_per_row")) floats per batch row + \(text("workspace_floats")) workspace floats; weights \(text("weights_bytes")) bytes")
        }
    }
}
