/// Marks a dimension of an example input as symbolic when exporting, like `torch.export.Dim`:
/// `Dim("batch", min: 2, max: 32)`.
///
/// `min` and `max` bound the sizes the export must be valid for. At run time the program
/// accepts any size in `1...max`: `min` constrains export only (so a program exported with
/// `min: 2` still runs a batch of 1, as PyTorch's deployment recipes rely on).
public struct Dim: Hashable, Sendable, Codable, CustomStringConvertible {
    /// The name shown in listings and errors, e.g. "batch".
    public let name: String
    /// Smallest size the export must support (≥ 1).
    public let min: Int
    /// Largest size the program accepts.
    public let max: Int

    /// A symbolic dimension named `name` ranging over `min...max`. Kiln captures symbolically,
    /// so unlike PyTorch `min: 1` (and an example size of 1) is fine.
    public init(_ name: String, min: Int = 1, max: Int) {
        self.name = name
        self.min = min
        self.max = max
    }

    /// Swift source that recreates this Dim: `Dim("batch", min: 2, max: 32)`.
    public var description: String { "Dim(\(swiftStringLiteral(name)), min: \(min), max: \(max))" }
}

/// Which dimensions of which inputs are symbolic: input name → (dimension index → Dim),
/// e.g. `["x": [0: Dim("batch", min: 2, max: 32)]]`.
public typealias DynamicShapes = [String: [Int: Dim]]

/// Swift source for a `DynamicShapes` literal, keys sorted: `["x": [0: Dim("batch", min: 2, max: 32)]]`.
func swiftLiteral(_ shapes: DynamicShapes) -> String {
    guard !shapes.isEmpty else { return "[:]" }
    let entries = shapes.keys.sorted().map { input -> String in
        let dims = shapes[input]!
        let inner = dims.isEmpty ? "[:]" : "[" + dims.keys.sorted().map { "\($0): \(dims[$0]!)" }.joined(separator: ", ") + "]"
        return "\(swiftStringLiteral(input)): \(inner)"
    }
    return "[" + entries.joined(separator: ", ") + "]"
}
