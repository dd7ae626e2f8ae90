/// A remedy for an error, as data, so that each front end can say it in its own terms: the
/// library's `Suggested fix:` lines spell it in Swift (`Dim("batch", min: 1, max: 17)`),
/// the `kiln` CLI as flags (`--dynamic-batch 1...17`). An error lists its remedies in
/// ``KilnError/fixes`` (alternatives, best first); its ``KilnError/suggestion`` stays the
/// Swift text.
public enum Fix: Sendable, Equatable {
    /// Export with this range on the batch dimension (`Dim(name, min:, max:)`; plain values,
    /// so that errors below Export can carry it too).
    case batchRange(name: String, min: Int, max: Int)
    /// Export with an example input of this batch size.
    case exampleBatch(Int)
    /// Export with an example input of this shape.
    case exampleShape([Int])
    /// Pass an input of this shape.
    case inputShape([Int])
    /// The tensor holds integers: read it as integers, or pick a floating-point tensor.
    case integerTensor(name: String)
    /// The tensor holds floats: read it as floats, or pick an integer tensor.
    case floatTensor(name: String)
}

extension KilnError {
    public var fixes: [Fix] { [] }
}
