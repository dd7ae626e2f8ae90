import ArgumentParser
import Foundation
import Kiln

/// `kiln compile`: an exported program (.kep) → a self-contained shared library.
struct CompileCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "compile",
        abstract: "Compile an exported program (.kep) ahead of time into a shared library.",
        discussion: """
            Generates C for the graph (BatchNorm folded, ReLU and residual adds fused, one \
            planned activation arena), builds it with $CC (else cc) against OpenBLAS and embeds \
            the weights. Results are cached in KILN_CACHE_DIR (default ~/.cache/kiln): the \
            same program and options compile again instantly. Load the library with \
            `kiln infer --library`, aotLoad in Swift, or from C through kiln_model.h.
            """
    )

    @Argument(help: "The exported program, e.g. resnet18.kep.")
    var program: String

    @Option(help: "Where to write the library (default: the artifact in the cache).")
    var output: String?

    @Flag(help: "Benchmark every convolution's kernels on the example shape and keep the fastest.")
    var maxAutotune = false

    @Flag(help: "Keep the generated sources beside the library in OUTPUT.src/.")
    var keepSource = false

    @Option(help: "Batch of the example input used for autotuning (default: the batch range's min).")
    var batch: Int?

    @Option(help: "Arithmetic of the convolutions: fp32, or bf16 (bfloat16 products, fp32 accumulation; needs AVX512_BF16).")
    var precision: Precision = .fp32

    @Option(help: "Compile cache directory (default: KILN_CACHE_DIR, else ~/.cache/kiln).")
    var cacheDir: String?

    func run() throws {
        try reportingErrors {
            let p = try ExportedProgram(contentsOf: URL(fileURLWithPath: program))
            let ranges = Dictionary(p.rangeConstraints.map { ($0.symbol, $0) }, uniquingKeysWith: { a, _ in a })
            let examples = p.signature.inputs.map { input in
                Tensor.randn(input.shape.map { d in
                    d.staticValue ?? batch ?? d.symbolName.flatMap { ranges[$0]?.min } ?? 1
                }, seed: 0)
            }
            let options = AOTCompileOptions(outputPath: output, maxAutotune: maxAutotune, keepSource: keepSource,
                                            cacheDirectory: cacheDir, precision: precision, log: { print($0) })
            let report = try aotCompileWithReport(p, exampleInputs: examples, options: options)
            if keepSource, let output { print("sources kept in \(output).src/") }
            if !report.cached {
                print(String(format: "library: %@ (%.0f ms total, %.0f ms in the C compiler)", report.path, report.milliseconds, report.compilerMilliseconds))
            }
        }
    }
}
