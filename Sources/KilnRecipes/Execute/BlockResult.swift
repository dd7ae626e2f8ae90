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
    /// What it showed (images, tables), in order; shown after its output.
    public var displays: [DisplayItem] = []

    /// Creates a result.
    public init(block: Block, status: BlockStatus, output: String = "", seconds: Double? = nil, failureLine: Int? = nil,
                displays: [DisplayItem] = []) {
        self.block = block
        self.status = status
        self.output = output
        self.seconds = seconds
        self.failureLine = failureLine
        self.displays = displays
    }
}
