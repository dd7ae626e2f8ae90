/// Progress of a run, for a progress line or log.
public enum RunEvent: Sendable {
    /// The run starts: `total` recipes selected.
    case started(total: Int)
    /// A recipe starts (`index` is 0-based among the selected ones).
    case recipeStarted(path: String, index: Int, total: Int)
    /// A recipe's program is being compiled.
    case compiling(path: String)
    /// A block starts: `block` is 1-based among the recipe's runnable blocks, `line` its fence.
    case blockStarted(path: String, block: Int, of: Int, line: Int)
    /// A block ended: its status and time. (A passing block's output is not split out yet
    /// here; every block's output is in the recipe's ``RecipeReport/execution``.)
    case blockFinished(path: String, block: Int, of: Int, result: BlockResult)
    /// A recipe is done (executed, cached or invalid).
    case recipeFinished(RecipeReport)
    /// The run is done.
    case finished(RunSummary)
}

/// Receives ``RunEvent``s. Calls are serialised (never concurrent) but may come from any thread.
public protocol RunReporter: Sendable {
    /// Handles one event.
    func report(_ event: RunEvent)
}

/// A ``RunReporter`` that calls a closure.
public struct ClosureReporter: RunReporter {
    private let body: @Sendable (RunEvent) -> Void

    /// Reports each event to `body`.
    public init(_ body: @escaping @Sendable (RunEvent) -> Void) {
        self.body = body
    }

    public func report(_ event: RunEvent) { body(event) }
}
