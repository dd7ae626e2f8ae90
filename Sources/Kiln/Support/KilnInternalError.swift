/// An invariant of Kiln itself broke.
public struct KilnInternalError: KilnError {
    /// What broke, in words a bug report can quote.
    public let message: String
    public init(_ message: String) { self.message = message }
    public var failureClass: FailureClass { .internalError }
    public var description: String { "internal error: \(message) (this is a Kiln bug; please report it)" }
}
