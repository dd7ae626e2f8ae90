/// Batch normalisation in inference mode, as `torch.nn.BatchNorm2d(...).eval()`.
/// Parameters `weight`, `bias`; buffers `running_mean`, `running_var` (all of shape (C)).
/// torchvision's `num_batches_tracked` is a training counter and is not kept.
public final class BatchNorm2d: Module {
    public let numFeatures: Int
    public let eps: Float
    public let weight: Parameter, bias: Parameter
    public let runningMean: Parameter, runningVar: Parameter

    public init(_ numFeatures: Int, eps: Float = 1e-5) {
        self.numFeatures = numFeatures
        self.eps = eps
        weight = Parameter(.ones([numFeatures]))
        bias = Parameter(.zeros([numFeatures]))
        runningMean = Parameter(.zeros([numFeatures]), kind: .buffer)
        runningVar = Parameter(.ones([numFeatures]), kind: .buffer)
    }

    public override var localParameters: [(String, Parameter)] {
        [("weight", weight), ("bias", bias), ("running_mean", runningMean), ("running_var", runningVar)]
    }

    public override func forward(_ x: Tensor) throws -> Tensor {
        try expectImage(x, channels: numFeatures)
        return Kernels.batchNorm(x, weight: weight.value, bias: bias.value, mean: runningMean.value,
                                 variance: runningVar.value, eps: eps)
    }

    public override var summary: String { "BatchNorm2d(\(numFeatures), eps: \(eps))" }
}
