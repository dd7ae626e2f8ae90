/// max(x, 0), as `torch.nn.ReLU`.
public final class ReLU: Module {
    public override init() {}
    public override func forward(_ x: Tensor) throws -> Tensor { Kernels.relu(x) }
    public override var summary: String { "ReLU()" }
}

/// Flattens dimensions `startDim...` into one, as `torch.flatten(x, 1)` (no copy).
public final class Flatten: Module {
    public let startDim: Int
    public init(startDim: Int = 1) { self.startDim = startDim }
    public override func forward(_ x: Tensor) throws -> Tensor {
        guard x.rank > startDim else { throw ShapeError("Flatten at \(displayPath): input \(x.shape) has no dimension \(startDim)") }
        return x.reshaped(Array(x.shape[..<startDim]) + [x.shape[startDim...].reduce(1, *)])
    }
    public override var summary: String { "Flatten(startDim: \(startDim))" }
}
