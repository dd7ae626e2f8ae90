/// One dimension of a symbolic shape: a size fixed at export (`224`) or a symbol (`s0`)
/// that stands for any size within the symbol's ``RangeConstraint``.
///
/// In JSON a static dimension is a number and a symbol is a string: `["s0", 3, 224, 224]`.
public enum SymDim: Hashable, Sendable, Codable, CustomStringConvertible {
    /// A size known at export time.
    case `static`(Int)
    /// A size known only at run time, named like `s0`.
    case symbol(String)

    /// The size, when static.
    public var staticValue: Int? {
        if case .static(let n) = self { return n }
        return nil
    }

    /// The symbol's name, when symbolic.
    public var symbolName: String? {
        if case .symbol(let s) = self { return s }
        return nil
    }

    public var description: String {
        switch self {
        case .static(let n): "\(n)"
        case .symbol(let s): s
        }
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.singleValueContainer()
        if let n = try? c.decode(Int.self) {
            self = .static(n)
        } else {
            self = .symbol(try c.decode(String.self))
        }
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.singleValueContainer()
        switch self {
        case .static(let n): try c.encode(n)
        case .symbol(let s): try c.encode(s)
        }
    }
}

extension Array where Element == SymDim {
    /// A static shape as symbolic dimensions.
    init(static shape: [Int]) { self = shape.map { .static($0) } }

    /// `[s0, 64, 56, 56]`.
    public var shapeDescription: String { "[" + map(\.description).joined(separator: ", ") + "]" }

    /// The static sizes, or nil when any dimension is symbolic.
    var staticShape: [Int]? {
        let sizes = compactMap(\.staticValue)
        return sizes.count == count ? sizes : nil
    }

    /// This shape with every symbol replaced by its binding (nil when a symbol is unbound).
    public func resolved(_ bindings: [String: Int]) -> [Int]? {
        var out: [Int] = []
        for d in self {
            switch d {
            case .static(let n): out.append(n)
            case .symbol(let s):
                guard let n = bindings[s] else { return nil }
                out.append(n)
            }
        }
        return out
    }
}
