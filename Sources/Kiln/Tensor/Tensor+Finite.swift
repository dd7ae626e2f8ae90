/// Where a tensor holds a NaN or an infinity.
public struct NonFiniteElement: Sendable, Equatable {
    /// Position in row-major (memory) order.
    public let flatIndex: Int
    /// The element's index, one entry per dimension.
    public let index: [Int]
    /// The value: NaN, +Inf or -Inf.
    public let value: Float

    /// "NaN", "+Inf" or "-Inf".
    public var valueDescription: String { value.isNaN ? "NaN" : (value > 0 ? "+Inf" : "-Inf") }
}

extension Tensor {
    /// The first element (in memory order) that is NaN or ±Inf, or nil when all are finite.
    /// One pass over the data, stopping at the first hit; Kiln never calls it on its own,
    /// since NaN and Inf are legal floats (``ExportedProgram/run(_:checkFinite:)`` and
    /// ``CompiledModel/run(_:checkFinite:)`` call it when asked).
    public func firstNonFinite() -> NonFiniteElement? {
        let n = count
        let p = storage.base
        for i in 0..<n where !p[i].isFinite {
            var index = [Int](repeating: 0, count: rank)
            var rest = i
            for d in stride(from: rank - 1, through: 0, by: -1) where shape[d] > 0 {
                index[d] = rest % shape[d]
                rest /= shape[d]
            }
            return NonFiniteElement(flatIndex: i, index: index, value: p[i])
        }
        return nil
    }

    /// Throws ``NonFiniteInputError`` naming `name` and the first NaN or ±Inf element.
    public func requireFinite(name: String) throws(NonFiniteInputError) {
        if let element = firstNonFinite() { throw NonFiniteInputError(input: name, element: element) }
    }
}

/// An input holding NaN or ±Inf, refused by the opt-in finite check (and always by
/// `kiln infer`): a bad input (exit code 65), since every output it reaches is meaningless.
public struct NonFiniteInputError: KilnError, Equatable {
    /// The input's name (`x`, or `FILE:NAME` from the CLI).
    public let input: String
    /// The first non-finite element.
    public let element: NonFiniteElement

    public init(input: String, element: NonFiniteElement) { self.input = input; self.element = element }

    public var failureClass: FailureClass { .badInput }

    public var description: String {
        "input \(input): element \(element.index) (flat index \(element.flatIndex)) is \(element.valueDescription); every output it reaches would be NaN or infinite"
    }

    public var suggestion: String? {
        "Suggested fix: replace or drop non-finite values before running the model (e.g. torch.nan_to_num in PyTorch), or fix what produced them"
    }
}
