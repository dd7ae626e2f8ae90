import ArgumentParser
import Foundation
import Kiln

/// Runs a command body, turning Kiln's errors into one `error:` line (plus the suggested
/// fix, in flags where the error's remedies have a command-line form) on stderr and the
/// failure class's exit code.
func reportingErrors(_ context: CommandContext = .other, _ body: () throws -> Void) throws {
    do {
        try body()
    } catch let error as KilnError {
        // The compile failed because a SIGINT/SIGTERM handler is stopping it: that handler
        // reports and exits; a second report (and exit code) from here would race it.
        if CompileInterruption.isInterrupted { CompileInterrupts.waitForExit() }
        let fix = error.commandLineSuggestion(context).map { "\n" + $0 } ?? ""
        FileHandle.standardError.write(Data("error: \(error.description)\(fix)\n".utf8))
        throw ExitCode(error.failureClass.exitCode)
    }
}

/// A bad command-line value that ArgumentParser cannot catch by itself.
struct UsageError: KilnError {
    let message: String
    let suggestion: String?
    init(_ message: String, suggestion: String? = nil) { self.message = message; self.suggestion = suggestion }
    var failureClass: FailureClass { .usage }
    var description: String { message }
}

/// A command-line value that is well-formed but does not fit the program or this machine
/// (a batch above the program's range, an input larger than memory): a shape error, caught
/// before anything of that size is allocated.
struct ArgumentShapeError: KilnError {
    let message: String
    let suggestion: String?
    init(_ message: String, suggestion: String?) { self.message = message; self.suggestion = suggestion }
    var failureClass: FailureClass { .shape }
    var description: String { message }
}

/// Checks that a batch flag is at least 1 (usage error otherwise).
func requireBatch(_ value: Int, flag: String) throws {
    guard value >= 1 else {
        throw UsageError("\(flag) \(value): a batch holds at least 1 item", suggestion: "Suggested fix: \(flag) 1")
    }
}

/// Checks that a float32 tensor of `shape` the CLI is about to allocate fits in this machine's
/// memory (a shape error otherwise, raised before allocating; `what` names it for the message).
func requireFitsInMemory(_ shape: [Int], flag: String, value: Int, what: String, suggestion: String) throws {
    let memory = Double(ProcessInfo.processInfo.physicalMemory)
    let bytes = shape.reduce(4.0) { $0 * Double($1) }
    guard bytes <= memory else {
        func gb(_ b: Double) -> String { String(format: "%.1f GB", b / 1e9) }
        throw ArgumentShapeError("\(flag) \(value): \(what) of shape \(shape) needs \(gb(bytes)), more than this machine's memory (\(gb(memory)))",
                                 suggestion: "Suggested fix: \(suggestion)")
    }
}
