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
        } catch let e as ONNXImportError {
            throw CLIONNXError(underlying: e)
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
        } catch let e as CLIONNXError {
            guard case .batchNeedsRange = e.underlying else { throw e }
            return try importONNXFile(path, range: (1, Swift.max(batch, 1)))
        }
    }
}

/// An ``ONNXImportError`` as the CLI reports it: the same line and exit code (65 for the
/// file, 67 for what the flags ask of its shapes), the fix in flags where the command line
/// can apply it.
struct CLIONNXError: KilnError {
    let underlying: ONNXImportError

    var failureClass: FailureClass { underlying.failureClass }
    var description: String { underlying.description }
    var suggestion: String? {
        switch underlying {
        case .batchNeedsRange:
            // The flag, and the Swift spelling for those importing it from code.
            let swift = underlying.suggestion.map { " (in Swift: " + $0.replacingOccurrences(of: "Suggested fix: ", with: "") + ")" } ?? ""
            return (underlying.commandLineSuggestion(.other) ?? "Suggested fix: --dynamic-batch 1...32") + swift
        case .limitExceeded:
            // No flag raises a limit: the CLI imports with the defaults.
            return underlying.fixes.first.flatMap { if case .advice(let a) = $0 { "Suggested fix: " + a } else { nil } }
        case .staticBatch, .conflictingDims, .invalidDim, .unknownInput, .nonBatchDimension, .unreadable, .malformed,
             .unsupportedOperators, .unsupportedFeature, .invalidGraph, .invalidTensor, .externalData, .shapeMismatch:
            return underlying.commandLineSuggestion(.other)
        }
    }
}
