/// Reads the Swift runtime's crash report out of a block's output.
///
/// A trap prints `<Module>/<file>:<line>: Fatal error: <message>` on stderr (and, with
/// backtraces disabled, `Current stack trace:` plus addresses). An error escaping top-level code
/// prints `Swift/ErrorType.swift:<n>: Fatal error: Error raised at top level: <description>`.
struct RuntimeReport: Equatable {
    /// The block's output before the report.
    var output: String
    /// True for an error thrown out of top-level code, false for a trap.
    var isThrownError: Bool
    /// The description of the thrown error, or `path:line: Fatal error: message` for a trap.
    var message: String
    /// The recipe line named by a trap's location, if it is in the recipe.
    var line: Int?

    static let fatal = ": Fatal error: "
    static let topLevel = "Error raised at top level: "
    static let modules = ["Swift/", "\(ProgramGenerator.moduleName)/", "Kiln/", "Foundation/",
                          "FoundationEssentials/", "_Concurrency/", "Dispatch/"]

    /// Finds the last runtime report in `text`; `recipePath` replaces `KilnRecipe/<file name>`.
    static func parse(_ text: String, recipePath: String) -> RuntimeReport? {
        var text = text
        if let trace = text.range(of: "Current stack trace:\n", options: .backwards) {
            text = String(text[..<trace.lowerBound])
        }
        guard let fatal = text.range(of: fatal, options: .backwards) else { return nil }
        // Walk back over `:<digits>` and the path before it.
        var start = fatal.lowerBound
        while start > text.startIndex, text[text.index(before: start)].isNumber { start = text.index(before: start) }
        if start > text.startIndex, text[text.index(before: start)] == ":" { start = text.index(before: start) }
        while start > text.startIndex, !text[text.index(before: start)].isWhitespace { start = text.index(before: start) }
        // Output glued before the path (no newline): cut at a known module prefix.
        let token = text[start..<fatal.lowerBound]
        if let cut = modules.compactMap({ token.range(of: $0)?.lowerBound }).min() { start = cut }

        let fileName = recipePath.split(separator: "/").last.map(String.init) ?? recipePath
        var location = String(text[start..<fatal.lowerBound])
        let generated = "\(ProgramGenerator.moduleName)/\(fileName):"
        if location.hasPrefix(generated) { location = recipePath + ":" + location.dropFirst(generated.count) }
        var message = String(text[fatal.upperBound...])
        while message.hasSuffix("\n") { message.removeLast() }

        var line: Int?
        if location.hasPrefix(recipePath + ":") { line = Int(location.dropFirst(recipePath.count + 1)) }
        let isThrown = message.hasPrefix(topLevel)
        return RuntimeReport(
            output: String(text[..<start]),
            isThrownError: isThrown,
            message: isThrown ? String(message.dropFirst(topLevel.count)) : "\(location): Fatal error: \(message)",
            line: isThrown ? nil : line)
    }
}
