/// One integer of the shape arithmetic folded at import: a static value, or a multiple of a
/// batch symbol (`12·s0`, which torch's attention builds as `batch * num_heads`). Only a
/// multiple of 1 can become a graph dimension; other multiples live in the importer, where a
/// reshape keeps the batch in dimension 0 (``BatchMovedTensor``).
struct ShapeScalar: Hashable, Sendable, CustomStringConvertible {
    /// The value (static) or the symbol's multiplier.
    var factor: Int
    /// The batch symbol, nil for a static value.
    var symbol: String?

    static func `static`(_ v: Int) -> ShapeScalar { ShapeScalar(factor: v, symbol: nil) }

    init(factor: Int, symbol: String?) { self.factor = factor; self.symbol = symbol }

    init(_ d: SymDim) {
        switch d {
        case .static(let v): self.init(factor: v, symbol: nil)
        case .symbol(let s): self.init(factor: 1, symbol: s)
        }
    }

    var staticValue: Int? { symbol == nil ? factor : nil }

    /// As a graph dimension: static, or exactly the symbol (not a multiple of it).
    var symDim: SymDim? {
        guard let symbol else { return .static(factor) }
        return factor == 1 ? .symbol(symbol) : nil
    }

    var description: String {
        guard let symbol else { return "\(factor)" }
        return factor == 1 ? symbol : "\(factor)·\(symbol)"
    }
}

extension Array where Element == ShapeScalar {
    /// The values, when none involves the batch.
    var staticShape: [Int]? {
        var out: [Int] = []
        for d in self {
            guard let v = d.staticValue else { return nil }
            out.append(v)
        }
        return out
    }

    var shapeDescription: String { "[" + map(\.description).joined(separator: ", ") + "]" }
}
