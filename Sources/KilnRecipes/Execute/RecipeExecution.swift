/// The result of running one recipe: one ``BlockResult`` per Swift block.
public struct RecipeExecution: Sendable {
    /// The recipe.
    public var recipe: Recipe
    /// One result per block, in document order.
    public var blocks: [BlockResult]
    /// Seconds spent compiling the recipe program.
    public var compileSeconds: Double

    /// Creates a result.
    public init(recipe: Recipe, blocks: [BlockResult], compileSeconds: Double = 0) {
        self.recipe = recipe
        self.blocks = blocks
        self.compileSeconds = compileSeconds
    }

    /// The failing block, if any.
    public var failure: BlockResult? {
        blocks.first { if case .failed = $0.status { return true } else { return false } }
    }

    /// Whether every block behaved as declared.
    public var passed: Bool { failure == nil }

    /// The total running time: the sum of the blocks' times.
    public var seconds: Double { blocks.compactMap(\.seconds).reduce(0, +) }

    /// `recipes/x.md:LINE: reason` for the failing block, if any.
    public var failureDescription: String? {
        guard let f = failure, case .failed(let reason) = f.status else { return nil }
        return "\(recipe.path):\(f.failureLine ?? f.block.fenceLines.lowerBound): \(reason.summary)"
    }
}

