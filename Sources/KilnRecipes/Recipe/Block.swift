/// One ```` ```swift ```` block of a recipe: its code, its options and where it is in the source.
public struct Block: Sendable, Equatable {
    /// Position among the recipe's Swift blocks (0-based).
    public var index: Int
    /// The code inside the fence (ends with a newline unless empty).
    public var code: String
    /// Options from the info string.
    public var options: BlockOptions
    /// Lines of the opening and closing fence (1-based, inclusive).
    public var fenceLines: ClosedRange<Int>
    /// Lines of the code inside the fence; an empty range at the closing fence when there is no code.
    public var codeLines: Range<Int>
    /// The container prefix of the fence (`> ` inside a quote), repeated on rendered output lines.
    public var containerPrefix: String

    /// Whether the block is compiled and run (everything but `no-run`).
    public var runs: Bool { !options.noRun }

    /// Creates a block.
    public init(index: Int, code: String, options: BlockOptions, fenceLines: ClosedRange<Int>,
                codeLines: Range<Int>, containerPrefix: String = "") {
        self.index = index
        self.code = code
        self.options = options
        self.fenceLines = fenceLines
        self.codeLines = codeLines
        self.containerPrefix = containerPrefix
    }
}
