/// torchvision's MobileNetV2 (width 1.0): a 3×3 stem, 17 inverted residual blocks (1×1
/// expansion, 3×3 depthwise, 1×1 linear projection; ReLU6), a 1×1 head to 1280 channels,
/// average pool and a dropout + linear classifier. Module and parameter names equal
/// torchvision's (`features.2.conv.1.0.weight`, `classifier.1.weight`), so its state dicts
/// load unchanged.
public final class MobileNetV2: PooledClassifier {
    /// (expansion t, output channels c, blocks n, first stride s), as in the paper and torchvision.
    static let settings = [(1, 16, 1, 1), (6, 24, 2, 2), (6, 32, 3, 2), (6, 64, 4, 2), (6, 96, 3, 1), (6, 160, 3, 2), (6, 320, 1, 1)]

    /// Builds the architecture with zero weights; see ``mobilenetV2(weights:)``.
    public init(numClasses: Int = 1000) {
        var layers: [Module] = [convNormActivation(3, 32, kernelSize: 3, stride: 2, activation: .clip(min: 0, max: 6))]
        var input = 32
        for (t, c, n, s) in Self.settings {
            for i in 0..<n {
                layers.append(InvertedResidual(input, c, stride: i == 0 ? s : 1, expandRatio: t))
                input = c
            }
        }
        layers.append(convNormActivation(input, 1280, kernelSize: 1, activation: .clip(min: 0, max: 6)))
        super.init(name: "mobilenet_v2", features: layers, width: 1280, numClasses: numClasses, dropout: 0.2)
    }
}

/// MobileNetV2's block: `conv` = [1×1 expansion (when t ≠ 1),] 3×3 depthwise, 1×1 projection
/// and its batch norm; the input is added back when the shape is kept (stride 1, same channels).
public final class InvertedResidual: ResidualBranch {
    public init(_ input: Int, _ output: Int, stride: Int, expandRatio: Int) {
        let hidden = input * expandRatio
        var layers: [Module] = []
        if expandRatio != 1 { layers.append(convNormActivation(input, hidden, kernelSize: 1, activation: .clip(min: 0, max: 6))) }
        layers.append(convNormActivation(hidden, hidden, kernelSize: 3, stride: stride, groups: hidden, activation: .clip(min: 0, max: 6)))
        layers.append(Conv2d(hidden, output, kernelSize: 1, bias: false))
        layers.append(BatchNorm2d(output))
        super.init("conv", layers, useResidual: stride == 1 && input == output)
    }
}
