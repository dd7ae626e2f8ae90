/// The classes of failure Kiln reports. Each maps to one process exit code of the `kiln`
/// CLI (listed in the README), so scripts and CI can tell them apart.
public enum FailureClass: Int32, Sendable, CaseIterable {
    /// Bad command-line usage (ArgumentParser's own code).
    case usage = 64
    /// A file Kiln reads is missing, unreadable or malformed (weights, programs, recipes).
    case badInput = 65
    /// Weights do not fit the model: missing, unexpected or misshaped keys.
    case weightsMismatch = 66
    /// A tensor's shape is wrong for the model or program (guards, export constraints).
    case shape = 67
    /// The C compiler or linker failed while building a library.
    case compile = 68
    /// A compiled library cannot be loaded (not Kiln's, wrong ABI, truncated).
    case load = 69
    /// A recipe block failed (compile error, throw, trap, timeout, unexpected success).
    case recipe = 70
    /// `--check` found regenerated documents out of date.
    case stale = 71
    /// Writing an output failed (unwritable directory, full disk).
    case output = 73
    /// An internal invariant broke: a Kiln bug, please report it.
    case internalError = 74

    /// The process exit code for this class.
    public var exitCode: Int32 { rawValue }
}

/// An error Kiln reports to people: one line saying what and where, then how to fix it.
/// Its debug description is the full text with the fix, so an error that escapes a Swift
/// program's top level (as in a recipe) still shows the "Suggested fix:" line.
public protocol KilnError: Error, CustomStringConvertible, CustomDebugStringConvertible {
    /// Which exit code the CLI uses for it.
    var failureClass: FailureClass { get }
    /// A line starting with "Suggested fix:" (or nil when there is nothing to suggest).
    var suggestion: String? { get }
    /// The remedies behind ``suggestion`` as data (empty when there is none to spell), so a
    /// front end such as the CLI can phrase them as its own flags.
    var fixes: [Fix] { get }
}

extension KilnError {
    public var suggestion: String? { nil }
    public var debugDescription: String { fullDescription }

    /// The description followed by the suggested fix, if any, on its own line.
    public var fullDescription: String {
        guard let s = suggestion else { return description }
        return description + "\n" + s
    }
}
