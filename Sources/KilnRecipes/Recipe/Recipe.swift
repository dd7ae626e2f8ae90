import Foundation

/// A parsed recipe: a Markdown file whose ```` ```swift ```` blocks are the code to run.
///
/// Blocks run in document order and share state like notebook cells; fences in other
/// languages are shown, not run. The title is the text of the first heading (else the file
/// name). See ``BlockOptions`` for block options and ``RecipeSettings`` for recipe settings.
public struct Recipe: Sendable {
    /// The path as given (e.g. `recipes/x.md`): used in messages, `#sourceLocation` and headers.
    public var path: String
    /// The first heading's text, or the file name without extension.
    public var title: String
    /// The source text.
    public var source: String
    /// The source lines (line 1 is `lines[0]`).
    public var lines: [String]
    /// The Swift blocks in document order.
    public var blocks: [Block]
    /// Recipe-wide settings.
    public var settings: RecipeSettings
    /// Parameter values given with `kiln run -p` (see ``injecting(_:)``), already written into
    /// the parameters block's code; the document records them and they key the cache.
    public var injectedParameters: [String: String] = [:]

    /// The file name without directory and `.md` extension (`x` for `recipes/x.md`): the stem
    /// of every file the recipe produces in `output/`.
    public var name: String { OutputFileNames.recipeName(path: path) }

    /// Reads and parses the recipe at `path`.
    public static func load(path: String) throws -> Recipe {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw RecipeError(.badInput, "\(path): cannot read the recipe",
                              suggestion: "Suggested fix: check that the file exists and is readable.")
        }
        if let (line, column, byte) = firstNonText(in: [UInt8](data)) {
            let what = byte == 0 ? "a NUL byte" : "byte 0x" + String(byte, radix: 16, uppercase: true) + ", which is not valid UTF-8"
            throw RecipeError.badInput(path, line: line, "column \(column) holds \(what): a recipe must be UTF-8 text",
                                       fix: "save the recipe as UTF-8 text (binary data belongs in a file the recipe reads).")
        }
        return try Recipe(path: path, source: String(decoding: data, as: UTF8.self))
    }

    /// The line, column (1-based, in bytes) and value of the first byte that is not UTF-8 text
    /// (an invalid sequence or a NUL), if any. Decoding would silently replace such bytes, so
    /// the regenerated documents would not show the recipe as written.
    static func firstNonText(in bytes: [UInt8]) -> (line: Int, column: Int, byte: UInt8)? {
        var line = 1, lineStart = 0, i = 0
        while i < bytes.count {
            let b = bytes[i]
            if b == 0 { return (line, i - lineStart + 1, b) }
            if b == 10 {
                line += 1
                lineStart = i + 1
            }
            if b < 0x80 { i += 1; continue }
            // Length of the sequence from the lead byte, and the valid range of the second
            // byte (excludes overlongs, surrogates and code points above U+10FFFF).
            let (length, low, high): (Int, UInt8, UInt8)
            switch b {
            case 0xC2...0xDF: (length, low, high) = (2, 0x80, 0xBF)
            case 0xE0: (length, low, high) = (3, 0xA0, 0xBF)
            case 0xE1...0xEC, 0xEE...0xEF: (length, low, high) = (3, 0x80, 0xBF)
            case 0xED: (length, low, high) = (3, 0x80, 0x9F)
            case 0xF0: (length, low, high) = (4, 0x90, 0xBF)
            case 0xF1...0xF3: (length, low, high) = (4, 0x80, 0xBF)
            case 0xF4: (length, low, high) = (4, 0x80, 0x8F)
            default: return (line, i - lineStart + 1, b)
            }
            guard i + length <= bytes.count, (low...high).contains(bytes[i + 1]),
                  bytes[(i + 2)..<(i + length)].allSatisfy({ (0x80...0xBF).contains($0) }) else {
                return (line, i - lineStart + 1, b)
            }
            i += length
        }
        return nil
    }

    /// Parses `source` as the recipe at `path`. Throws a `.badInput` ``RecipeError`` located at
    /// `path:LINE` for unknown options or settings and for unclosed fences.
    public init(path: String, source: String) throws {
        self.path = path
        self.source = source
        // A leading byte order mark is not text: parsed, it would glue itself to the first line
        // (a title `# T` would become a paragraph) and the regenerated document would carry it
        // into its middle. `source` keeps it (the recipe's copy in output/ is byte for byte).
        let document = CommonMark.parse(source.unicodeScalars.first == "\u{FEFF}" ? String(source.unicodeScalars.dropFirst()) : source)
        lines = document.lines
        title = document.firstHeading.flatMap { $0.isEmpty ? nil : $0 } ?? OutputFileNames.recipeName(path: path)

        settings = RecipeSettings()
        for html in document.htmlBlocks {
            guard let text = html.literal, RecipeSettings.isSettingsComment(text) else { continue }
            try settings.apply(comment: text, file: path, line: html.startLine)
        }

        blocks = []
        for fence in document.codeFences {
            // A fence of another language may run to the end of the document (valid CommonMark:
            // the rest is its code); a Swift block must be closed, or it would run the prose.
            guard fence.language.lowercased() == "swift" else { continue }
            guard fence.isClosed else {
                let marker = String(repeating: "`", count: 3)
                throw RecipeError.badInput(path, line: fence.startLine,
                                           "the \(marker)\(fence.language) fence opened here is never closed",
                                           fix: "add a closing \(marker) line after the block's code.")
            }
            let options = try BlockOptions(words: fence.infoWords, file: path, line: fence.startLine)
            blocks.append(Block(
                index: blocks.count, code: fence.code, options: options,
                fenceLines: fence.startLine...fence.endLine,
                codeLines: fence.codeStartLine..<(fence.codeStartLine + fence.codeLineCount),
                containerPrefix: fence.containerPrefix))
        }
        let parameterBlocks = blocks.filter(\.options.parameters)
        if parameterBlocks.count > 1 {
            throw RecipeError.badInput(path, line: parameterBlocks[1].fenceLines.lowerBound, "a second `parameters` block",
                                       fix: "declare every parameter in one ```swift parameters block.")
        }
        _ = try parameters()
    }

    /// The blocks that are compiled and run.
    public var runnableBlocks: [Block] { blocks.filter(\.runs) }

    /// The block whose fence contains `line`, if any.
    public func block(containing line: Int) -> Block? {
        blocks.first { $0.fenceLines.contains(line) }
    }
}
