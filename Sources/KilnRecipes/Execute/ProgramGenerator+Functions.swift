/// The function layout: a library-mode program (`-parse-as-library`, an `@main` type) whose
/// type-checking time grows linearly with the number of blocks.
///
/// Top-level code in a main file type-checks in time quadratic in its statements: each
/// top-level statement opens a scope that holds every later one, so each name looked up walks
/// all the statements before it. Here nothing is top-level code. Each block's shared
/// declarations (`let`/`var`/`func`/types…, found by ``BlockSplitter``) go to file scope, where
/// names are found by table, and its statements become the body of its own function; `main`
/// calls the block functions in order. Globals are initialized lazily, so each block function
/// reads the variables its block declares where their declarations stood, which runs their
/// initializers in document order as top-level code would. A global initializer cannot throw,
/// so one that does is wrapped in the runtime's ``tryFunctionName`` function, which reports its
/// error exactly as an error escaping `main` is reported.
extension ProgramGenerator {
    /// The layout a program was generated in.
    public enum Layout: Sendable, Equatable {
        /// Every block at top level of a main file (code the function layout cannot express).
        case topLevel
        /// Shared declarations at file scope, statements in per-block functions.
        case functions
    }

    /// The runtime function wrapping throwing global initializers.
    var tryFunctionName: String { runtimeName("try") }

    /// The function holding `block`'s statements.
    func blockFunctionName(_ block: Block) -> String { runtimeName("block\(block.index + 1)") }

    /// `piece` of `block` under its `#sourceLocation`, padded to its column.
    func located(_ piece: BlockSplitter.Piece, of block: Block, in recipe: Recipe) -> String {
        sourceLocation(line: block.codeLines.lowerBound + piece.line, in: recipe) + "\n"
            + String(repeating: " ", count: piece.column - 1) + piece.text + "\n#sourceLocation()\n"
    }

    /// The texts holding `block`'s code in `recipe`'s program in `layout`, each under its
    /// `#sourceLocation` (for the fuzzer's invariants).
    public func codeInProgram(_ block: Block, in recipe: Recipe, layout: Layout) -> [String] {
        if layout == .topLevel || block.options.expectError {
            return block.code.isEmpty && !block.options.expectError ? []
                : [sourceLocation(for: block, in: recipe) + "\n" + block.code + "#sourceLocation()\n"]
        }
        return (BlockSplitter.split(block.code, tryFunction: tryFunctionName) ?? []).map { located($0, of: block, in: recipe) }
    }

    /// The function layout, or nil when a block needs the top-level layout.
    func functionLayout(for recipe: Recipe) -> String? {
        let runnable = recipe.runnableBlocks
        var pieces: [Int: [BlockSplitter.Piece]] = [:]
        for block in runnable where !block.options.expectError {
            guard let split = BlockSplitter.split(block.code, tryFunction: tryFunctionName) else { return nil }
            pieces[block.index] = split
        }
        var out = header(for: recipe) + runtime + """
            private func \(tryFunctionName)<T>(_ body: () throws -> T) -> T {
                do { return try body() } catch { fatalError("\(RuntimeReport.topLevel)\\(String(reflecting: error))") }
            }

            """
        var previous = -1
        for block in runnable {
            out += blockHeader(block, in: recipe)
            var body = boundaryCall(ended: previous, begun: block.index) + "\n"
            previous = block.index
            if block.options.expectError {
                body += expectErrorBody(block, location: sourceLocation(for: block, in: recipe))
            }
            for piece in pieces[block.index] ?? [] {
                let located = self.located(piece, of: block, in: recipe)
                if piece.isDeclaration {
                    out += located
                    body += piece.initializedNames.map { "_ = \($0)\n" }.joined()
                } else {
                    body += located
                }
            }
            out += "private func \(blockFunctionName(block))() throws {\n\(body)}\n"
        }
        out += "\n@main enum \(runtimeName("Main")) {\n    static func main() throws {\n        "
            + Self.unbufferedStdout + "        " + installDisplayCall
        for block in runnable { out += "        try \(blockFunctionName(block))()\n" }
        if let last = runnable.last { out += "        " + boundaryCall(ended: last.index, begun: -1) + "\n" }
        return out + "    }\n}\n"
    }
}
