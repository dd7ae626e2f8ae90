/// The run-time checks of a program's inputs, always on: input count, rank, every static
/// dimension, and every symbolic dimension within `1...max` of its range.
///
/// The range's `min` constrains export only: a program exported with
/// `Dim("batch", min: 2, max: 32)` runs a batch of 1 (the graph is symbolic, so nothing
/// was specialised for sizes ≥ 2). The interpreter and compiled libraries share this type.
public struct InputGuards: Hashable, Sendable {
    /// The inputs, in call order, with their exported shapes.
    public let inputs: [GraphInput]
    /// Ranges by symbol.
    public let constraints: [String: RangeConstraint]

    public init(inputs: [GraphInput], rangeConstraints: [RangeConstraint]) {
        self.inputs = inputs
        var byName: [String: RangeConstraint] = [:]
        for c in rangeConstraints { byName[c.symbol] = c }
        constraints = byName
    }

    /// Checks the shapes of the inputs, in order.
    /// - Returns: each symbol's size.
    @discardableResult
    public func check(shapes: [[Int]]) throws(InputGuardError) -> [String: Int] {
        guard shapes.count == inputs.count else { throw .inputCount(names: inputs.map(\.name), got: shapes.count) }
        var bindings: [String: Int] = [:]
        for (input, got) in zip(inputs, shapes) {
            let expected = input.shape
            guard got.count == expected.count else { throw .rank(input: input.name, expected: expected, got: got) }
            for (d, (want, size)) in zip(expected, got).enumerated() {
                switch want {
                case .static(let n):
                    guard size == n else {
                        throw .staticDimension(input: input.name, dimension: d, expected: expected, got: got,
                                               example: exampleShape(expected, got, fallback: 2))
                    }
                case .symbol(let s):
                    guard let c = constraints[s] else { continue }   // validated programs always have one
                    guard size >= 1 else {
                        throw .belowOne(input: input.name, dimension: d, got: got, constraint: c,
                                        example: exampleShape(expected, got, fallback: 1).enumerated().map { $0.offset == d ? 1 : $0.element })
                    }
                    guard size <= c.max else { throw .aboveMax(input: input.name, dimension: d, size: size, constraint: c) }
                    if let bound = bindings[s], bound != size {
                        throw .inconsistentSymbol(input: input.name, dimension: d, size: size, symbol: s, bound: bound)
                    }
                    bindings[s] = size
                }
            }
        }
        return bindings
    }

    /// Checks `tensors` (see ``check(shapes:)``).
    @discardableResult
    public func check(_ tensors: [Tensor]) throws(InputGuardError) -> [String: Int] {
        try check(shapes: tensors.map(\.shape))
    }

    /// Throws ``NonFiniteInputError`` for the first input (in order) holding NaN or ±Inf.
    public func checkFinite(_ tensors: [Tensor]) throws(NonFiniteInputError) {
        for (input, t) in zip(inputs, tensors) { try t.requireFinite(name: input.name) }
    }

    /// An example shape for a suggestion: the sizes given, symbols at a valid size.
    private func exampleShape(_ expected: [SymDim], _ got: [Int], fallback: Int) -> [Int] {
        zip(expected, got).map { want, size in
            guard case .symbol(let s) = want else { return size }
            let c = constraints[s]
            return Swift.min(Swift.max(size, c?.min ?? fallback, 1), c?.max ?? Int.max)
        }
    }
}
