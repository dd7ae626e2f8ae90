/// Why a block failed.
public enum BlockFailure: Sendable, Equatable {
    /// The recipe program did not compile; the compiler's errors (located at `recipes/x.md:LINE`).
    case compileError(String)
    /// The block threw an error that it did not catch; the error's description.
    case thrownError(String)
    /// The program trapped (`fatalError`, `precondition`, out-of-range index, …); the runtime's message.
    case trap(String)
    /// The program was terminated by a signal; the signal's name (`SIGSEGV`).
    case signal(String)
    /// The program called `exit(code)` during the block.
    case exit(Int32)
    /// The block or the whole recipe ran out of time; the limit and what it applied to.
    case timeout(seconds: Double, recipeWide: Bool)
    /// An `expect-error` block completed without throwing.
    case unexpectedSuccess
    /// The program could not be started or the output protocol broke (a runner problem).
    case internalError(String)

    /// One line for summaries: `thrown error: file not found`.
    public var summary: String {
        let text: String
        switch self {
        case .compileError(let m): text = "compile error: " + (m.split(separator: "\n").first { $0.contains("error:") }.map(String.init) ?? m)
        case .thrownError(let m): text = "thrown error: " + m
        case .trap(let m): text = "trap: " + m
        case .signal(let s): text = "terminated by signal \(s)"
        case .exit(let c): text = "the program called exit(\(c)) before the recipe finished"
        case .timeout(let s, let recipeWide):
            text = "timed out after \(formatSeconds(s)) s (\(recipeWide ? "recipe timeout" : "block timeout"))"
        case .unexpectedSuccess: text = "expected an error but the block succeeded"
        case .internalError(let m): text = "internal error: " + m
        }
        return text.split(separator: "\n", omittingEmptySubsequences: false).first.map(String.init) ?? text
    }

    /// The full text shown in the regenerated document.
    public var details: String {
        switch self {
        case .compileError(let m): return "compile error:\n" + m
        case .thrownError(let m): return "thrown error: " + m
        case .trap(let m): return "trap: " + m
        default: return summary
        }
    }
}

/// How a block ended.
public enum BlockStatus: Sendable, Equatable {
    /// It ran and behaved as declared (an `expect-error` block threw).
    case passed
    /// It failed; the rest of the recipe was not run.
    case failed(BlockFailure)
    /// An earlier block failed, so it was not run.
    case notRun
    /// It is a `no-run` block: shown only.
    case shownOnly
}

/// The result of one block.
public struct BlockResult: Sendable, Equatable {
    /// The block.
    public var block: Block
    /// How it ended.
    public var status: BlockStatus
    /// What it printed (stdout and stderr in order; an `expect-error` block's error text),
    /// bounded and with invalid UTF-8 replaced.
    public var output: String
    /// Its wall time in seconds, when it ran.
    public var seconds: Double?
    /// The recipe line a failure points to (the compiler's or trap's line, else the fence).
    public var failureLine: Int?

    /// Creates a result.
    public init(block: Block, status: BlockStatus, output: String = "", seconds: Double? = nil, failureLine: Int? = nil) {
        self.block = block
        self.status = status
        self.output = output
        self.seconds = seconds
        self.failureLine = failureLine
    }
}

/// The result of running one recipe: one ``BlockResult`` per Swift block.
public struct RecipeExecution: Sendable {
    /// The recipe.
    public var recipe: Recipe
    /// One result per block, in document order.
    public var blocks: [BlockResult]
    /// Seconds spent compiling the recipe program.
    public var compileSeconds: Double

    /// Creates a result.
    public init(recipe: Recipe, blocks: [BlockResult], compileSeconds: Double = 0) {
        self.recipe = recipe
        self.blocks = blocks
        self.compileSeconds = compileSeconds
    }

    /// The failing block, if any.
    public var failure: BlockResult? {
        blocks.first { if case .failed = $0.status { return true } else { return false } }
    }

    /// Whether every block behaved as declared.
    public var passed: Bool { failure == nil }

    /// The total running time: the sum of the blocks' times.
    public var seconds: Double { blocks.compactMap(\.seconds).reduce(0, +) }

    /// `recipes/x.md:LINE: reason` for the failing block, if any.
    public var failureDescription: String? {
        guard let f = failure, case .failed(let reason) = f.status else { return nil }
        return "\(recipe.path):\(f.failureLine ?? f.block.fenceLines.lowerBound): \(reason.summary)"
    }
}

/// `1.234` (three decimals, no trailing noise).
func formatSeconds(_ s: Double) -> String {
    let millis = Int((s * 1000).rounded())
    let whole = millis / 1000, frac = millis % 1000
    return "\(whole)." + String(repeating: "0", count: 3 - String(frac).count) + String(frac)
}
