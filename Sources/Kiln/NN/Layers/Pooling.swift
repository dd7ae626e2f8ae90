/// Max pooling, as `torch.nn.MaxPool2d` (padding counts as -inf).
public final class MaxPool2d: Module {
    public let kernelSize: Int, stride: Int, padding: Int, dilation: Int, ceilMode: Bool

    /// `stride` defaults to `kernelSize`, as in PyTorch.
    public init(kernelSize: Int, stride: Int? = nil, padding: Int = 0, dilation: Int = 1, ceilMode: Bool = false) {
        self.kernelSize = kernelSize
        self.stride = stride ?? kernelSize
        self.padding = padding
        self.dilation = dilation
        self.ceilMode = ceilMode
    }

    public override func forward(_ x: Tensor) throws -> Tensor {
        guard x.rank == 4 else { throw ShapeError("MaxPool2d at \(displayPath) expects (N, C, H, W), got \(x.shape)") }
        return try Kernels.maxPool2d(x, kernelSize: kernelSize, stride: stride, padding: padding, dilation: dilation, ceilMode: ceilMode)
    }

    public override var summary: String { "MaxPool2d(kernel: \(kernelSize), stride: \(stride), padding: \(padding))" }
}

/// Adaptive average pooling to a fixed output size, as `torch.nn.AdaptiveAvgPool2d`.
public final class AdaptiveAvgPool2d: Module {
    public let outputSize: (Int, Int)

    public init(outputSize: (Int, Int) = (1, 1)) { self.outputSize = outputSize }

    public override func forward(_ x: Tensor) throws -> Tensor {
        guard x.rank == 4, x.shape[2] >= 1, x.shape[3] >= 1 else {
            throw ShapeError("AdaptiveAvgPool2d at \(displayPath) expects (N, C, H, W) with H, W ≥ 1, got \(x.shape)")
        }
        return Kernels.adaptiveAvgPool2d(x, outputSize: outputSize)
    }

    public override var summary: String { "AdaptiveAvgPool2d(\(outputSize.0), \(outputSize.1))" }
}
