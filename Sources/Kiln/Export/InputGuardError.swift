/// An input that a program's run-time guards reject.
public enum InputGuardError: KilnError, Equatable {
    /// The program takes `expected` inputs (named `names`) but got `got`.
    case inputCount(names: [String], got: Int)
    /// The input's rank differs from the exported shape.
    case rank(input: String, expected: [SymDim], got: [Int])
    /// A static dimension differs from the size it was exported for.
    case staticDimension(input: String, dimension: Int, expected: [SymDim], got: [Int], example: [Int])
    /// A symbolic dimension is 0 (programs accept sizes 1…max).
    case belowOne(input: String, dimension: Int, got: [Int], constraint: RangeConstraint, example: [Int])
    /// A symbolic dimension exceeds the range's max.
    case aboveMax(input: String, dimension: Int, size: Int, constraint: RangeConstraint)
    /// Two dimensions that share a symbol got different sizes.
    case inconsistentSymbol(input: String, dimension: Int, size: Int, symbol: String, bound: Int)

    public var failureClass: FailureClass { .shape }

    public var description: String {
        switch self {
        case let .inputCount(names, got):
            return "the program takes \(names.count) input\(names.count == 1 ? "" : "s") (\(names.joined(separator: ", "))), got \(got)"
        case let .rank(input, expected, got):
            return "input \(input): rank \(got.count) (shape \(got)), but the program expects rank \(expected.count): \(expected.shapeDescription)"
        case let .staticDimension(input, dimension, expected, got, _):
            return "input \(input): dimension \(dimension) is \(got[dimension]), but the program was exported for \(expected[dimension]) (input shape \(expected.shapeDescription), got \(got))"
        case let .belowOne(input, dimension, got, c, _):
            return "input \(input): dimension \(dimension) is \(got[dimension]), but the program needs \(c.dimName) ≥ 1 (Dim \(swiftStringLiteral(c.dimName)), max: \(c.max))"
        case let .aboveMax(input, dimension, size, c):
            return "input \(input): dimension \(dimension) is \(size), but the program allows \(c.dimName) ≤ \(c.max) (Dim \(swiftStringLiteral(c.dimName)), max: \(c.max))"
        case let .inconsistentSymbol(input, dimension, size, symbol, bound):
            return "input \(input): dimension \(dimension) is \(size), but \(symbol) is already \(bound) from an earlier dimension"
        }
    }

    /// The remedies as data (the CLI spells them as flags).
    public var fixes: [Fix] {
        switch self {
        case let .rank(_, expected, got):
            let example = expected.map { $0.staticValue ?? 1 }
            return got.count + 1 == expected.count && Array(example.dropFirst()) == got ? [.inputShape([1] + got)] : [.inputShape(example)]
        case let .staticDimension(_, _, expected, got, example):
            return [.inputShape(zip(expected, got).map { $0.staticValue ?? $1 }), .exampleShape(example)]
        case let .belowOne(_, _, _, _, example):
            return [.inputShape(example)]
        case let .aboveMax(_, _, size, c):
            return [.batchRange(name: c.dimName, min: c.min, max: size)]
        case .inputCount, .inconsistentSymbol:
            return []
        }
    }

    public var suggestion: String? {
        switch self {
        case let .inputCount(names, _):
            return "Suggested fix: program.run([\(names.joined(separator: ", "))])"
        case let .rank(input, expected, got):
            let example = expected.map { $0.staticValue ?? 1 }
            if got.count + 1 == expected.count, Array(example.dropFirst()) == got {
                return "Suggested fix: add the batch dimension: \(input).reshaped(\([1] + got))"
            }
            return "Suggested fix: pass a tensor of shape \(example), e.g. Tensor.randn(\(example))"
        case let .staticDimension(_, _, expected, got, example):
            let wanted = zip(expected, got).map { $0.staticValue ?? $1 }
            return "Suggested fix: pass a tensor of shape \(wanted), or export again with exampleInputs: [Tensor.randn(\(example))]"
        case let .belowOne(_, _, _, _, example):
            return "Suggested fix: pass at least one item, e.g. Tensor.randn(\(example))"
        case let .aboveMax(_, _, size, c):
            return "Suggested fix: export with \(Dim(c.dimName, min: c.min, max: size))"
        case .inconsistentSymbol:
            return "Suggested fix: pass inputs whose dimensions sharing a Dim are equal"
        }
    }
}
