import Foundation
import KilnRecipes
#if canImport(Glibc)
import Glibc
#endif

/// The recipe fuzz target: the recipe front end from bytes on disk to the text `kiln run`
/// would compile and write, without compiling or running anything.
///
/// The input is written to a scratch file and read with ``Recipe/load(path:)`` (the runner's
/// own entry, with its UTF-8 check), then turned into the generated program
/// (``ProgramGenerator``), the standalone `x.swift` (``StandaloneSwift``), the regenerated
/// document for a run in which every block printed its own code (``DocumentRenderer``), its
/// normalised form (``DocumentNormalizer``) and HTML.
///
/// Invariants: a rejected recipe fails with a `.badInput` ``RecipeError`` at
/// `path:LINE` (a line of the document) with a suggested fix; an accepted one has blocks in
/// document order whose fence and code lines lie within the document, code that ends with a
/// newline and matches its source lines, and every runnable block's code appears in the
/// program under a `#sourceLocation` of its first line. The regenerated document keeps every
/// source line in order, and parsing it again yields the same Swift blocks (a block's output
/// cannot break out of its text fence).
public enum RecipeFuzzCheck {
    /// The fixed nonce of generated programs, so runs are reproducible.
    static let nonce = "00000000f022f022"

    /// Where inputs are written for ``Recipe/load(path:)``: one file per process.
    static let scratchPath: String = {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("kiln-fuzz-\(getpid())")
        try? FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        return dir.appendingPathComponent("fuzz.md").path
    }()

    /// Runs one input; returns the invariants it broke.
    public static func violations(for input: Data) -> [String] {
        let path = scratchPath
        guard FileManager.default.createFile(atPath: path, contents: input) else {
            return ["cannot write the scratch file \(path)"]
        }
        let recipe: Recipe
        do {
            recipe = try Recipe.load(path: path)
        } catch {
            return rejectionViolations(error, path: path, lineCount: lineCount(input))
        }
        return violations(in: recipe)
    }

    /// The invariants `recipe` (parsed from `recipe.source`) breaks, and those of the text
    /// generated from it. Public so that tests can show each invariant catches a broken plan.
    public static func violations(in recipe: Recipe) -> [String] {
        var out = planViolations(recipe)
        guard out.isEmpty else { return out }
        out += programViolations(recipe)
        out += renderViolations(recipe)
        return out
    }

    /// Number of lines as cmark counts them (`\n`, `\r\n`, `\r`), at least 1.
    static func lineCount(_ input: Data) -> Int {
        var lines = 0, previousCR = false, sawText = false
        for b in input {
            if b == 10 { if !previousCR { lines += 1 }; previousCR = false; sawText = false } else if b == 13 {
                lines += 1; previousCR = true; sawText = false
            } else { previousCR = false; sawText = true }
        }
        return max(1, lines + (sawText ? 1 : 0))
    }

    static func rejectionViolations(_ error: any Error, path: String, lineCount: Int) -> [String] {
        guard let e = error as? RecipeError else { return ["rejected with a \(type(of: error)), not a RecipeError: \(error)"] }
        var out: [String] = []
        if e.failureClass != .badInput { out.append("rejection is not .badInput: \(e.message)") }
        if e.suggestion?.hasPrefix("Suggested fix: ") != true { out.append("rejection has no suggested fix: \(e.message)") }
        let located = e.message.hasPrefix(path + ":")
            ? e.message.dropFirst(path.count + 1).prefix { $0.isNumber } : ""
        if let line = Int(located) {
            if line < 1 || line > lineCount { out.append("rejection points at line \(line) of \(lineCount): \(e.message)") }
        } else {
            out.append("rejection is not located at \(path):LINE: \(e.message)")
        }
        return out
    }

    /// Blocks lie within the document, in order, and their code matches their source lines.
    static func planViolations(_ recipe: Recipe) -> [String] {
        var out: [String] = []
        let lines = recipe.lines
        if recipe.title.isEmpty { out.append("empty title") }
        var previousEnd = 0
        for (i, block) in recipe.blocks.enumerated() {
            let where_ = "block \(i + 1) (fence lines \(block.fenceLines))"
            if block.index != i { out.append("\(where_): index \(block.index)") }
            guard block.fenceLines.lowerBound > previousEnd, block.fenceLines.upperBound <= lines.count else {
                out.append("\(where_): fence lines outside 1...\(lines.count) or overlapping the previous block (ends \(previousEnd))")
                continue
            }
            previousEnd = block.fenceLines.upperBound
            guard block.codeLines.lowerBound == block.fenceLines.lowerBound + 1,
                  block.codeLines.upperBound <= block.fenceLines.upperBound else {
                out.append("\(where_): code lines \(block.codeLines) not inside the fence")
                continue
            }
            if !block.code.isEmpty && !block.code.hasSuffix("\n") { out.append("\(where_): code does not end with a newline") }
            var codeLines = block.code.split(separator: "\n", omittingEmptySubsequences: false)
            if block.code.hasSuffix("\n") || block.code.isEmpty { codeLines.removeLast() }
            if codeLines.count != block.codeLines.count {
                out.append("\(where_): \(codeLines.count) lines of code, code lines \(block.codeLines)")
                continue
            }
            for (k, code) in codeLines.enumerated() {
                // cmark strips container markers and indentation, turning a partly consumed
                // tab into spaces, and replaces NUL with U+FFFD: compare what remains.
                var source = lines[block.codeLines.lowerBound - 1 + k]
                if source.utf8.contains(0) { source = String(source.map { $0 == "\u{0}" ? "\u{FFFD}" : $0 }) }
                let content = code.drop { $0 == " " }
                if !source.hasSuffix(content) {
                    out.append("\(where_): code line \(block.codeLines.lowerBound + k) \(String(reflecting: String(code))) is not from the source line \(String(reflecting: source))")
                    break
                }
            }
        }
        return out
    }

    /// Every runnable block's code is in the program under its `#sourceLocation`, and only
    /// runnable blocks are (a `no-run` block is never compiled).
    static func programViolations(_ recipe: Recipe) -> [String] {
        var out: [String] = []
        let generator = ProgramGenerator(nonce: nonce)
        let generated = generator.generate(for: recipe)
        let program = generated.source
        let pathLiteral = "\"" + recipe.path.replacingOccurrences(of: "\\", with: "\\\\")
            .replacingOccurrences(of: "\"", with: "\\\"").replacingOccurrences(of: "\n", with: "\\n") + "\""
        var runnable = 0
        for block in recipe.blocks {
            let location = "#sourceLocation(file: \(pathLiteral), line: \(block.codeLines.lowerBound))\n"
            let marker = generator.boundaryCall(before: block, in: recipe) + "\n"
            if block.runs {
                runnable += 1
                if !program.containsBytes(marker) { out.append("block \(block.index + 1): no begin marker in the program") }
                if generator.codeInProgram(block, in: recipe, layout: generated.layout).contains(where: { !program.containsBytes($0) }) {
                    out.append("block \(block.index + 1): its code is not in the program under \(location.dropLast())")
                }
            } else {
                // The header may also appear as text inside a runnable block's code (the fuzzer
                // learns such strings): only a header beyond those copies is the generator's.
                let header = "// Block \(block.index + 1) of \(recipe.blocks.count), \(recipe.path):\(block.fenceLines.lowerBound)-"
                let inCode = recipe.blocks.filter(\.runs).reduce(0) { $0 + $1.code.occurrences(of: header) }
                if program.occurrences(of: header) > inCode {
                    out.append("block \(block.index + 1) is no-run but is in the program")
                }
            }
        }
        let blocks = program.occurrences(of: "\n// Block ")
        if blocks < runnable { out.append("the program has \(blocks) blocks, the recipe \(runnable) runnable ones") }
        let standalone = StandaloneSwift.source(for: recipe)
        for block in recipe.blocks where !block.options.noRun && !block.code.isEmpty && !standalone.containsBytes(block.code) {
            out.append("block \(block.index + 1): its code is not in the standalone Swift file")
        }
        return out
    }
}

extension String {
    /// Whether the UTF-8 of `needle` occurs in this string's UTF-8 (a byte search: Foundation's
    /// `contains` goes through NSString and dominated the fuzzer's time).
    func containsBytes(_ needle: String) -> Bool {
        needle.isEmpty || firstByteOffset(of: needle, from: 0) != nil
    }

    /// Non-overlapping occurrences of `needle` (non-empty) in this string's UTF-8.
    func occurrences(of needle: String) -> Int {
        var count = 0, at = 0
        while let hit = firstByteOffset(of: needle, from: at) {
            count += 1
            at = hit + needle.utf8.count
        }
        return count
    }

    private func firstByteOffset(of needle: String, from start: Int) -> Int? {
        var haystack = self, needle = needle
        return haystack.withUTF8 { h in
            needle.withUTF8 { n in
                guard let first = n.first, h.count >= n.count else { return nil }
                var i = start
                while i <= h.count - n.count {
                    if h[i] == first && memcmp(h.baseAddress! + i, n.baseAddress!, n.count) == 0 { return i }
                    i += 1
                }
                return nil
            }
        }
    }
}
