/// torchvision's MobileNetV2 (width 1.0): a 3×3 stem, 17 inverted residual blocks (1×1
/// expansion, 3×3 depthwise, 1×1 linear projection; ReLU6), a 1×1 head to 1280 channels,
/// average pool and a dropout + linear classifier. Module and parameter names equal
/// torchvision's (`features.2.conv.1.0.weight`, `classifier.1.weight`), so its state dicts
/// load unchanged.
public final class MobileNetV2: Module {
    public let name = "mobilenet_v2"
    public let features: Sequential
    public let avgpool = AdaptiveAvgPool2d(outputSize: (1, 1))
    public let flatten = Flatten(startDim: 1)
    public let classifier: Sequential

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
        features = Sequential(layers)
        classifier = Sequential(Dropout(p: 0.2), Linear(1280, numClasses))
        super.init()
        assignPaths()
    }

    public override var children: [(String, Module)] {
        [("features", features), ("avgpool", avgpool), ("classifier", classifier)]
    }

    public override func forward(_ x: Tensor) throws -> Tensor {
        try checkImages(x, model: name)
        return try classifier(flatten(avgpool(features(x))))
    }
}

/// MobileNetV2's block: `conv` = [1×1 expansion (when t ≠ 1),] 3×3 depthwise, 1×1 projection
/// and its batch norm; the input is added back when the shape is kept (stride 1, same channels).
public final class InvertedResidual: Module {
    public let conv: Sequential
    public let useResidual: Bool

    public init(_ input: Int, _ output: Int, stride: Int, expandRatio: Int) {
        let hidden = input * expandRatio
        var layers: [Module] = []
        if expandRatio != 1 { layers.append(convNormActivation(input, hidden, kernelSize: 1, activation: .clip(min: 0, max: 6))) }
        layers.append(convNormActivation(hidden, hidden, kernelSize: 3, stride: stride, groups: hidden, activation: .clip(min: 0, max: 6)))
        layers.append(Conv2d(hidden, output, kernelSize: 1, bias: false))
        layers.append(BatchNorm2d(output))
        conv = Sequential(layers)
        useResidual = stride == 1 && input == output
    }

    public override var children: [(String, Module)] { [("conv", conv)] }

    public override func forward(_ x: Tensor) throws -> Tensor {
        let y = try conv(x)
        return useResidual ? try Kernels.add(y, x) : y
    }
}

/// torchvision's `Conv2dNormActivation`: convolution (no bias, "same" padding), batch norm and,
/// unless `activation` is nil, the activation; children `0`, `1`, `2` as in its state dicts.
func convNormActivation(_ input: Int, _ output: Int, kernelSize: Int, stride: Int = 1, groups: Int = 1,
                        activation: Activation?) -> Sequential {
    var layers: [Module] = [Conv2d(input, output, kernelSize: kernelSize, stride: stride, padding: (kernelSize - 1) / 2,
                                   groups: groups, bias: false),
                            BatchNorm2d(output)]
    if let activation { layers.append(ActivationLayer(activation)) }
    return Sequential(layers)
}

/// The image check of the zoo's classifiers: (N, 3, H, W) with N, H, W ≥ 1.
func checkImages(_ x: Tensor, model: String) throws {
    guard x.rank == 4, x.shape[1] == 3 else {
        throw ShapeError("\(model) expects images of shape (N, 3, H, W), got \(x.shape)",
                         suggestion: "Suggested fix: pass a batch of RGB images, e.g. Tensor.randn([1, 3, 224, 224])")
    }
    guard x.shape[0] >= 1, x.shape[2] >= 1, x.shape[3] >= 1 else {
        throw ShapeError("\(model) got an empty batch or image (shape \(x.shape))", suggestion: "Suggested fix: pass at least one image of at least 1x1 pixels")
    }
}
