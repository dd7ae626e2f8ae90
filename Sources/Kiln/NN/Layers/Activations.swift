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

/// An elementwise activation as a layer: `torch.nn.ReLU6`, `SiLU`, `Sigmoid`, `Hardswish`, …
/// (see ``Activation``; parameterless, so nothing in the state dict).
public final class ActivationLayer: Module {
    public let activation: Activation
    public init(_ activation: Activation) { self.activation = activation }
    /// min(max(x, 0), 6), as `torch.nn.ReLU6`.
    public static func relu6() -> ActivationLayer { ActivationLayer(.clip(min: 0, max: 6)) }
    public override func forward(_ x: Tensor) throws -> Tensor { Kernels.activation(x, activation) }
    public override var summary: String { "ActivationLayer(\(activation))" }
}

/// `torch.nn.Dropout` in inference: the identity (kept so that the classifier's indices, and
/// so its state-dict keys, are torchvision's: `classifier.1.weight`).
public final class Dropout: Module {
    public let p: Float
    public init(p: Float) { self.p = p }
    public override func forward(_ x: Tensor) throws -> Tensor { x }
    public override var summary: String { "Dropout(p: \(p))" }
}
