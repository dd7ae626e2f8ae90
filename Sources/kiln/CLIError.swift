import ArgumentParser
import Foundation
import Kiln

/// Runs a command body, turning Kiln's errors into one `error:` line (plus the suggested
/// fix) on stderr and the failure class's exit code.
func reportingErrors(_ body: () throws -> Void) throws {
    do {
        try body()
    } catch let error as KilnError {
        FileHandle.standardError.write(Data("error: \(error.fullDescription)\n".utf8))
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
