import Foundation

/// Builds and runs small C programs that load compiled libraries through `kiln_model.h`,
/// with the C compiler ``aotCompile(_:exampleInputs:options:)`` uses (`$CC`, else `cc`): the
/// benchmark's plain C host, which measures a library without a Swift runtime around it.
public enum CProgram {
    /// Compiles `source` (one C file; `#include "kiln_model.h"` finds Kiln's header) into the
    /// executable `directory/name` and returns its URL.
    ///
    /// - Parameters:
    ///   - flags: compiler flags, e.g. `["-O2"]`.
    ///   - libraries: linker inputs after the source, e.g. `["-ldl"]`.
    ///   - environment: where `CC` is looked up.
    /// - Throws: ``CompileError`` when there is no C compiler or it fails (its output kept).
    public static func build(source: String, named name: String, in directory: URL, flags: [String],
                             libraries: [String] = [],
                             environment: [String: String] = ProcessInfo.processInfo.environment) throws -> URL {
        let toolchain = try Toolchain.detect(environment: environment)
        guard let header = KernelSources.files.first(where: { $0.name == "kiln_model.h" }) else {
            throw CompileError.unsupported("kiln_model.h is not among Kiln's embedded sources")
        }
        do {
            try AtomicFile.write(Data(header.text.utf8), to: directory.appendingPathComponent("kiln_model.h"))
            try AtomicFile.write(Data(source.utf8), to: directory.appendingPathComponent("\(name).c"))
        } catch {
            throw CompileError.writeFailed(path: error.path, message: error.message)
        }
        let build = try Subprocess.run(toolchain.command + flags + ["-I.", "\(name).c", "-o", name] + libraries, in: directory)
        guard build.succeeded else {
            throw CompileError.compilerFailed(compiler: toolchain.command.joined(separator: " "), message: build.output,
                                              sourceDirectory: directory.path)
        }
        return directory.appendingPathComponent(name)
    }

    /// Runs `executable` with `arguments`; returns its exit status and its standard output
    /// and error, interleaved as written. Throws only when it cannot be started.
    public static func run(_ executable: URL, arguments: [String]) throws -> (status: Int32, output: String) {
        let r = try Subprocess.run([executable.path] + arguments)
        return (r.status, r.output)
    }
}
