/// A tensor whose shape does not fit the module, program or library it was given to.
public struct ShapeError: KilnError {
    /// What was wrong, naming the input or module.
    public let message: String
    /// A "Suggested fix:" line, when there is one.
    public let suggestion: String?

    public init(_ message: String, suggestion: String? = nil) {
        self.message = message
        self.suggestion = suggestion
    }

    public var failureClass: FailureClass { .shape }
    public var description: String { message }
}

extension Module {
    /// Checks that `x` is (N, channels, H, W) with N ≥ 1.
    func expectImage(_ x: Tensor, channels: Int) throws {
        guard x.rank == 4 else {
            throw ShapeError("\(Self.self) at \(displayPath) expects a 4-D input (N, C, H, W), got shape \(x.shape)")
        }
        guard x.shape[1] == channels else {
            throw ShapeError("\(Self.self) at \(displayPath) expects \(channels) input channels, got shape \(x.shape)")
        }
        guard x.shape[0] >= 1 else {
            throw ShapeError("\(Self.self) at \(displayPath) got an empty batch (shape \(x.shape))",
                             suggestion: "Suggested fix: pass at least one image")
        }
    }
}
