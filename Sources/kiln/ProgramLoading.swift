import Foundation
import Kiln

/// Programs from the command line: a `.kep` file, an `.onnx` model imported on the fly (its
/// symbolic batch, if any, given the range of `--dynamic-batch`), or a `torch.export` `.pt2`
/// archive (which carries its own dynamic dims and ranges).
enum ProgramLoading {
    static func isONNX(_ path: String) -> Bool { path.lowercased().hasSuffix(".onnx") }
    static func isPT2(_ path: String) -> Bool { path.lowercased().hasSuffix(".pt2") }

    /// Imports a `.pt2` archive; `--dynamic-batch` does not apply (the program has its range).
    static func importPT2File(_ path: String, range: (min: Int, max: Int)?) throws -> ExportedProgram {
        if range != nil {
            throw UsageError("--dynamic-batch is for .onnx models: a .pt2 program carries its own dynamic dimensions and ranges (torch.export.Dim)",
                             suggestion: "Suggested fix: drop --dynamic-batch (to change the range, export again with dynamic_shapes={\"x\": {0: torch.export.Dim(\"batch\", min=2, max=32)}})")
        }
        return try importPT2(URL(fileURLWithPath: path))
    }

    /// Imports `path`; with `range` dimension 0 of every input becomes `Dim("batch", range)`.
    static func importONNXFile(_ path: String, range: (min: Int, max: Int)?) throws -> ExportedProgram {
        let url = URL(fileURLWithPath: path)
        do {
            if let range { return try importONNX(url, batch: Dim("batch", min: range.min, max: range.max)) }
            return try importONNX(url)
        } catch let e as ONNXImportError where e.kind == .dynamicShapes {
            throw CLIONNXError(underlying: e, range: range)
        }
    }

    /// A `.kep` program, an `.onnx` model or a `.pt2` archive.
    static func load(_ path: String, range: (min: Int, max: Int)?) throws -> ExportedProgram {
        if isONNX(path) { return try importONNXFile(path, range: range) }
        if isPT2(path) { return try importPT2File(path, range: range) }
        return try ExportedProgram(contentsOf: URL(fileURLWithPath: path))
    }

    /// An `.onnx` model to run on batches up to `batch`: imported static when it is, else
    /// with a batch range 1…max(batch, 1).
    static func importForRun(_ path: String, batch: Int) throws -> ExportedProgram {
        do {
            return try importONNXFile(path, range: nil)
        } catch let e as CLIONNXError where e.underlying.description.contains("needs a range") {
            return try importONNXFile(path, range: (1, Swift.max(batch, 1)))
        }
    }
}

/// An ``ONNXImportError`` about dynamic shapes, with the fix in command-line terms.
struct CLIONNXError: KilnError {
    let underlying: ONNXImportError
    let range: (min: Int, max: Int)?

    var failureClass: FailureClass { underlying.failureClass }
    var description: String { underlying.description }
    var suggestion: String? {
        let swift = underlying.suggestion.map { " (in Swift: " + $0.replacingOccurrences(of: "Suggested fix: ", with: "") + ")" } ?? ""
        if range == nil, underlying.description.contains("needs a range") { return "Suggested fix: --dynamic-batch 1...32" + swift }
        if range != nil, underlying.description.contains("is static") { return "Suggested fix: drop --dynamic-batch (the model's batch is static), or re-export it with dynamic_axes={\"input\": {0: \"batch\"}}" }
        return underlying.suggestion
    }
}
