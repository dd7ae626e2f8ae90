import Foundation

/// Compiles an exported program ahead of time into a self-contained shared library, like
/// `torch._inductor.aoti_compile_and_package`, and returns the library's path.
///
/// The library holds the generated C for the graph (BatchNorm folded into convolutions,
/// ReLU and residual adds fused into their epilogues, one activation arena planned with
/// liveness reuse), Kiln's kernels and the weights (embedded with `.incbin`). It is built by
/// the system C compiler (`$CC`, else `cc`) and cached: compiling the same program with the
/// same options again is near-instant and says so. Load it with ``aotLoad(_:device:)`` or
/// from C through `kiln_model.h`.
///
/// - Parameters:
///   - program: the exported program.
///   - exampleInputs: inputs of the shapes to tune for (their batch is the autotune batch).
///   - options: output path, max-autotune, keep-source, cache directory.
/// - Throws: ``CompileError`` (compiler missing or failing — with its message and the kept
///   sources —, unsupported graph, unwritable paths).
@discardableResult
public func aotCompile(_ program: ExportedProgram, exampleInputs: [Tensor], options: AOTCompileOptions = .init()) throws -> String {
    try aotCompileWithReport(program, exampleInputs: exampleInputs, options: options).path
}

/// ``aotCompile(_:exampleInputs:options:)`` returning what happened: path, cache hit, times,
/// autotune tables and kernel choices.
public func aotCompileWithReport(_ program: ExportedProgram, exampleInputs: [Tensor],
                                 options: AOTCompileOptions = .init()) throws -> AOTCompileReport {
    try program.guards.check(exampleInputs)
    return try AOTCompiler.compile(CompileSource(program), exampleInputs: exampleInputs, options: options)
}

extension CompileSource {
    init(_ p: ExportedProgram) {
        self.init(model: p.modelName, graph: p.graph, signature: p.signature, rangeConstraints: p.rangeConstraints,
                  constants: p.stateDict, graphHash: p.graphHash)
    }
}
