import Foundation
import Kiln

/// Renders `output/x.ipynb`: the executed recipe as a Jupyter notebook (nbformat 4.5), as
/// sphinx-gallery offers one beside each example.
///
/// The prose between Swift blocks becomes Markdown cells; each Swift block a code cell
/// (kernel language `swift`) with what it produced: its output as a `stream`, its shown items
/// as `display_data` (images as `image/png` base64 or `image/svg+xml`, tables as `text/markdown`
/// with `text/plain`), a failure as an `error` (`ename`, `evalue`, `traceback`), and an
/// `execution_count` for each block that ran. Cell ids derive from the recipe's name and the
/// cell's place, and nothing depends on time, so an unchanged recipe gives the same bytes;
/// a `nondeterministic` block's cell says so in `metadata.kiln`, and ``NotebookNormalizer``
/// ignores its outputs.
public enum NotebookRenderer {
    /// The notebook's text (nbformat's own layout: indent 1, sorted keys).
    public static func notebook(for execution: RecipeExecution) -> String {
        let recipe = execution.recipe
        let stem = String(SHA256Digest.hex(recipe.name).prefix(8))
        let results = Dictionary(uniqueKeysWithValues: execution.blocks.map { ($0.block.index, $0) })
        var cells: [JSONValue] = []
        var prose: [String] = []
        var count = 0
        func flushProse() {
            while prose.first?.allSatisfy(\.isWhitespace) == true { prose.removeFirst() }
            while prose.last?.allSatisfy(\.isWhitespace) == true { prose.removeLast() }
            guard !prose.isEmpty else { return }
            cells.append(.object(["cell_type": .string("markdown"), "id": .string("\(stem)-md-\(cells.count + 1)"),
                                  "metadata": .object([:]), "source": lines(prose.joined(separator: "\n"))]))
            prose = []
        }
        var line = 1
        for block in recipe.blocks {
            while line < block.fenceLines.lowerBound {
                prose.append(recipe.lines[line - 1])
                line += 1
            }
            line = block.fenceLines.upperBound + 1
            flushProse()
            guard let result = results[block.index] else { continue }
            var code = block.code
            if code.hasSuffix("\n") { code.removeLast() }
            let ran: Bool
            switch result.status {
            case .passed, .failed: ran = true
            case .notRun, .shownOnly: ran = false
            }
            if ran { count += 1 }
            var metadata: [String: JSONValue] = [:]
            if block.options.nondeterministic { metadata["kiln"] = .object(["nondeterministic": .bool(true)]) }
            if block.options.noRun { metadata["kiln"] = .object(["no-run": .bool(true)]) }
            cells.append(.object([
                "cell_type": .string("code"), "execution_count": ran ? .int(count) : .null,
                "id": .string("\(stem)-code-\(block.index + 1)"), "metadata": .object(metadata),
                "outputs": .array(outputs(of: result)), "source": lines(code),
            ]))
        }
        while line <= recipe.lines.count {
            prose.append(recipe.lines[line - 1])
            line += 1
        }
        flushProse()
        return JSONValue.object([
            "cells": .array(cells),
            "metadata": .object([
                "kernelspec": .object(["display_name": .string("Swift"), "language": .string("swift"), "name": .string("swift")]),
                "language_info": .object(["file_extension": .string(".swift"), "mimetype": .string("text/x-swift"),
                                          "name": .string("swift")]),
            ]),
            "nbformat": .int(4), "nbformat_minor": .int(5),
        ]).text
    }

    /// A block's outputs: its text, its shown items, its failure.
    static func outputs(of result: BlockResult) -> [JSONValue] {
        var out: [JSONValue] = []
        let hide = result.block.options.hideOutput
        switch result.status {
        case .notRun, .shownOnly: return []
        case .passed, .failed: break
        }
        if !hide && !result.output.isEmpty {
            out.append(.object(["name": .string("stdout"), "output_type": .string("stream"), "text": lines(result.output)]))
        }
        for item in result.displays {
            let data: [String: JSONValue]
            switch item {
            case .image(let bytes, .png, let alt):
                data = ["image/png": .string(bytes.base64EncodedString()), "text/plain": lines(alt)]
            case .image(let bytes, .svg, let alt):
                data = ["image/svg+xml": lines(String(decoding: bytes, as: UTF8.self)), "text/plain": lines(alt)]
            case .table(let table, let text):
                data = ["text/markdown": lines(DisplayMarkdown.table(table).joined(separator: "\n")), "text/plain": lines(text)]
            case .text(let text):
                data = ["text/plain": lines(text)]
            }
            out.append(.object(["data": .object(data), "metadata": .object([:]), "output_type": .string("display_data")]))
        }
        if case .failed(let failure) = result.status {
            out.append(.object([
                "ename": .string(errorName(failure)), "evalue": .string(failure.summary), "output_type": .string("error"),
                "traceback": .array(failure.details.split(separator: "\n", omittingEmptySubsequences: false).map { .string(String($0)) }),
            ]))
        }
        return out
    }

    /// The `ename` of a failure, as a Python exception class would be named.
    static func errorName(_ failure: BlockFailure) -> String {
        switch failure {
        case .compileError: return "CompileError"
        case .thrownError: return "ThrownError"
        case .trap: return "Trap"
        case .signal: return "Signal"
        case .exit: return "Exit"
        case .afterLastBlock: return "AfterLastBlock"
        case .timeout: return "Timeout"
        case .unexpectedSuccess: return "UnexpectedSuccess"
        case .internalError: return "InternalError"
        }
    }

    /// A multi-line string as nbformat stores it: a list of lines, each but the last ending in `\n`.
    static func lines(_ text: String) -> JSONValue {
        var parts: [JSONValue] = []
        var current = ""
        for c in text {
            current.append(c)
            if c == "\n" {
                parts.append(.string(current))
                current = ""
            }
        }
        if !current.isEmpty { parts.append(.string(current)) }
        return .array(parts)
    }
}
