/// torchvision's EfficientNet-B0: a 3×3 stem, seven stages of MBConv blocks (1×1 expansion,
/// depthwise 3×3 or 5×5, squeeze-excitation, 1×1 projection; SiLU), a 1×1 head to 1280
/// channels, average pool and a dropout + linear classifier. Names equal torchvision's
/// (`features.2.0.block.2.fc1.weight`), so its state dicts load unchanged. Stochastic depth
/// is the identity in inference.
public final class EfficientNet: PooledClassifier {
    /// B0's stages: (expansion, kernel, first stride, input channels, output channels, blocks).
    static let b0Stages = [(1, 3, 1, 32, 16, 1), (6, 3, 2, 16, 24, 2), (6, 5, 2, 24, 40, 2), (6, 3, 2, 40, 80, 3),
                           (6, 5, 1, 80, 112, 3), (6, 5, 2, 112, 192, 4), (6, 3, 1, 192, 320, 1)]

    /// EfficientNet-B0 with zero weights; see ``efficientnetB0(weights:)``.
    public static func b0(numClasses: Int = 1000) -> EfficientNet { EfficientNet(name: "efficientnet_b0", stages: b0Stages, numClasses: numClasses) }

    init(name: String, stages: [(Int, Int, Int, Int, Int, Int)], numClasses: Int) {
        var layers: [Module] = [convNormActivation(3, stages[0].3, kernelSize: 3, stride: 2, activation: .silu)]
        for (expand, kernel, stride, input, output, blocks) in stages {
            layers.append(Sequential((0..<blocks).map {
                MBConv(input: $0 == 0 ? input : output, output: output, kernelSize: kernel, stride: $0 == 0 ? stride : 1, expandRatio: expand)
            }))
        }
        let last = stages[stages.count - 1].4
        layers.append(convNormActivation(last, 4 * last, kernelSize: 1, activation: .silu))
        super.init(name: name, features: layers, width: 4 * last, numClasses: numClasses, dropout: 0.2)
    }
}

/// EfficientNet's block: `block` = [1×1 expansion,] depthwise k×k, squeeze-excitation, 1×1
/// projection (no activation); the input is added back at stride 1 with equal channels.
public final class MBConv: ResidualBranch {
    public init(input: Int, output: Int, kernelSize: Int, stride: Int, expandRatio: Int) {
        let expanded = makeDivisible(input * expandRatio, by: 8)
        var layers: [Module] = []
        if expanded != input { layers.append(convNormActivation(input, expanded, kernelSize: 1, activation: .silu)) }
        layers.append(convNormActivation(expanded, expanded, kernelSize: kernelSize, stride: stride, groups: expanded, activation: .silu))
        layers.append(SqueezeExcitation(expanded, squeezeChannels: Swift.max(1, input / 4)))
        layers.append(convNormActivation(expanded, output, kernelSize: 1, activation: nil))
        super.init("block", layers, useResidual: stride == 1 && input == output)
    }
}

/// torchvision's `SqueezeExcitation`: x · sigmoid(fc2(silu(fc1(avgpool(x))))), the fcs 1×1
/// convolutions with bias.
public final class SqueezeExcitation: Module {
    public let avgpool = AdaptiveAvgPool2d(outputSize: (1, 1))
    public let fc1: Conv2d, fc2: Conv2d
    public let activation = ActivationLayer(.silu)
    public let scaleActivation = ActivationLayer(.sigmoid)

    public init(_ channels: Int, squeezeChannels: Int) {
        fc1 = Conv2d(channels, squeezeChannels, kernelSize: 1)
        fc2 = Conv2d(squeezeChannels, channels, kernelSize: 1)
    }

    public override var children: [(String, Module)] {
        [("avgpool", avgpool), ("fc1", fc1), ("fc2", fc2), ("activation", activation), ("scale_activation", scaleActivation)]
    }

    public override func forward(_ x: Tensor) throws -> Tensor {
        let scale = try scaleActivation(fc2(activation(fc1(avgpool(x)))))
        return try Kernels.binary(.mul, scale, x)
    }
}

/// torchvision's `_make_divisible`: `v` rounded to the nearest multiple of `divisor`, never
/// more than 10% below `v`.
func makeDivisible(_ v: Int, by divisor: Int) -> Int {
    var rounded = Swift.max(divisor, (v + divisor / 2) / divisor * divisor)
    if Double(rounded) < 0.9 * Double(v) { rounded += divisor }
    return rounded
}
