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
    /// Every block completed but the program then failed (an `atexit` handler trapped, a
    /// signal, a non-zero exit status); what happened, with its trap message.
    case afterLastBlock(String)
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
        case .afterLastBlock(let m): text = "the program failed after its last block: " + m
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
        case .afterLastBlock(let m): return "the program failed after its last block: " + m
        default: return summary
        }
    }
}
