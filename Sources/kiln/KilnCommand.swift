import ArgumentParser
import Foundation
import Kiln

/// `kiln`: Kiln's command-line interface, thin over the Kiln and KilnRecipes libraries.
@main
struct KilnCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "kiln",
        abstract: "Export or import (ONNX, torch.export .pt2), compile and run CNNs on the CPU; run Markdown recipes.",
        discussion: "Exit codes: see the README's failure table (64 usage … 74 internal error).",
        version: versionText(),
        subcommands: [RunCommand.self, VerifyCommand.self, GalleryCommand.self, InferCommand.self, ExportCommand.self, ImportCommand.self, CompileCommand.self, InspectCommand.self, DoctorCommand.self, BenchCommand.self, PrebuildKernelsCommand.self]
    )

    static func main() {
        BLASRelaunch.relaunchIfNeeded()
        do {
            var command = try parseAsRoot()
            try command.run()
        } catch {
            exit(withError: error)
        }
    }

    static func versionText() -> String {
        "kiln \(KilnVersion.string)\n\(BLAS.summary)\nKiln kernels: \(Kernels.threadCount) threads; CPU: \(CPUInfo.current.modelName) (\(CPUInfo.current.simdLevel))"
    }
}
