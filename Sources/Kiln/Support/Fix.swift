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
    /// Import the (ONNX) model giving its symbolic batch this range.
    case importBatchRange(name: String, min: Int, max: Int)
    /// Import the (ONNX) model without a batch range: its batch is static.
    case importStaticBatch
    /// Raise a parsing limit above `bound`, if the file is trusted (an API option only).
    case raiseLimit(name: String, bound: Int)
    /// A remedy outside any front end's flags or API (re-export or check the model, move a
    /// file): the same words everywhere.
    case advice(String)
}

extension KilnError {
    public var fixes: [Fix] { [] }
}
