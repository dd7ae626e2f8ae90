import ArgumentParser
import Foundation
import Kiln

/// `kiln compile`: an exported program (.kep) → a self-contained shared library.
struct CompileCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "compile",
        abstract: "Compile an exported program (.kep, .pt2) or an ONNX model (.onnx) ahead of time into a shared library.",
        discussion: """
            Generates C for the graph (BatchNorm folded, ReLU and residual adds fused, one \
            planned activation arena), builds it with $CC (else cc) against OpenBLAS and embeds \
            the weights. Results are cached in KILN_CACHE_DIR (default ~/.cache/kiln): the \
            same program and options compile again instantly. Load the library with \
            `kiln infer --library`, aotLoad in Swift, or from C through kiln_model.h.
            """
    )

    @Argument(help: "The exported program, e.g. resnet18.kep, or an ONNX model or torch.export archive (.pt2; imported first).")
    var program: String

    @Option(name: .customLong("dynamic-batch"), help: ArgumentHelp("For an .onnx model with a symbolic batch: its range, MIN...MAX.", valueName: "min...max"))
    var dynamicBatch: String?

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
        CompileInterrupts.install()
        try reportingErrors {
            try OutputChecks.check("--output", output, inputs: [("the program", program)],
                                   example: ((program as NSString).deletingPathExtension as String) + ".so")
            if let batch { try requireBatch(batch, flag: "--batch") }
            let p = try ProgramLoading.load(program, range: try dynamicBatch.map(ExportCommand.parseRange))
            let ranges = Dictionary(p.rangeConstraints.map { ($0.symbol, $0) }, uniquingKeysWith: { a, _ in a })
            if let batch, let range = p.rangeConstraints.first, batch > range.max {
                throw ArgumentShapeError("--batch \(batch): the program accepts \(range.dimName) 1…\(range.max)",
                                         suggestion: "Suggested fix: --batch \(range.max)")
            }
            let shapes = p.signature.inputs.map { input in
                input.shape.map { d in d.staticValue ?? batch ?? d.symbolName.flatMap { ranges[$0]?.min } ?? 1 }
            }
            // Guards and size before allocating the example inputs.
            try p.guards.check(shapes: shapes)
            for shape in shapes {
                try requireFitsInMemory(shape, flag: "--batch", value: shape.first ?? 1, what: "an example input",
                                        suggestion: "a smaller --batch, e.g. --batch 1")
            }
            let examples = shapes.map { Tensor.randn($0, seed: 0) }
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
