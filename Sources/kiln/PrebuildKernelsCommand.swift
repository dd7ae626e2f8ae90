import ArgumentParser
import Foundation
import Kiln

/// `kiln prebuild-kernels`: compiles Kiln's kernel files once, for this CPU and compiler, into
/// the prebuilt object store that every later `aotCompile` links from.
struct PrebuildKernelsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "prebuild-kernels",
        abstract: "Compile the kernel objects every compiled library links, once, for this CPU and compiler.",
        discussion: """
            Writes them to --into (default: kiln-kernel-objects/ beside this kiln executable, \
            where `kiln compile` looks after its cache; KILN_KERNEL_OBJECTS points elsewhere). \
            A compile then builds only the model's own code, even with an empty cache. \
            `make release` runs this. Objects for other Kiln builds, compilers or CPUs in the \
            folder are removed.
            """
    )

    @Option(name: .customLong("into"), help: ArgumentHelp("The object store's folder.", valueName: "folder"))
    var folder: String?

    @Option(help: ArgumentHelp("The C compiler command (default: CC, else cc).", valueName: "command"))
    var compiler: String?

    func run() throws {
        try reportingErrors {
            let r = try prebuildKernelObjects(into: folder, compiler: compiler)
            print("kernel objects in \(r.folder) (key \(r.key)): \(r.compiled.count) compiled, \(r.alreadyThere.count) already there"
                  + String(format: "; %.2f s, %.2f s of compiler CPU", r.milliseconds / 1000, r.cpuMilliseconds / 1000)
                  + (r.removedStale > 0 ? "; removed \(r.removedStale) stale key folder(s)" : ""))
        }
    }
}
