import Kiln

/// The invariants every fuzz target checks on a rejected input: the error is bad input
/// (exit 65), names the input, and ends with a fix.
enum RejectionCheck {
    static func violations(_ error: some KilnError, naming path: String) -> [String] {
        var out: [String] = []
        if error.failureClass != .badInput { out.append("rejection is not .badInput: \(error)") }
        if !error.description.contains(path) { out.append("error does not name the file: \(error.description)") }
        if error.suggestion?.hasPrefix("Suggested fix: ") != true { out.append("error has no suggested fix: \(error)") }
        return out
    }
}
