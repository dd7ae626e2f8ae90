import Kiln

/// Which command reports an error: a remedy reads as that command's flags.
enum CommandContext {
    /// `kiln export`: export flags apply directly.
    case export
    /// Any other command: export flags mean exporting again.
    case other
}

extension Fix {
    /// The remedy as `kiln` flags, or nil when the CLI has none (the Swift text is shown then).
    func commandLine(_ context: CommandContext) -> String? {
        func reexport(_ flags: String) -> String {
            context == .export ? flags : "export again with `kiln export \(flags)` and compile the program again"
        }
        switch self {
        case let .batchRange(_, min, max):
            return reexport("--dynamic-batch \(min)...\(max)")
        case .exampleBatch(let n):
            return context == .export ? "--example-batch \(n)" : nil
        case .exampleShape(let shape):
            guard shape.count == 4, shape[2] == shape[3] else { return nil }
            return reexport("--image-size \(shape[2])")
        case .inputShape(let shape):
            return "pass --input a tensor of shape \(shape)"
        case .integerTensor(let name):
            return "pass --input a floating-point tensor (F32, F16 or BF16); \"\(name)\" holds integers"
        case .floatTensor, .raiseLimit:
            return nil
        case let .importBatchRange(_, min, max):
            return "--dynamic-batch \(min)...\(max)"
        case .importStaticBatch:
            return "drop --dynamic-batch (the model's batch is static)"
        case .advice(let text):
            return text
        }
    }
}

extension KilnError {
    /// The `Suggested fix:` line the CLI prints: the error's remedies as flags when each has
    /// a command-line form, else the library's own (Swift) suggestion.
    func commandLineSuggestion(_ context: CommandContext) -> String? {
        let flags = fixes.map { $0.commandLine(context) }
        guard !flags.isEmpty, flags.allSatisfy({ $0 != nil }) else { return suggestion }
        return "Suggested fix: " + flags.compactMap { $0 }.joined(separator: ", or ")
    }
}
