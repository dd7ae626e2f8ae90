/// The shape torchvision's MobileNetV2 and EfficientNet share: `features` → average pool →
/// flatten → `classifier` (dropout, linear), under those state-dict names.
public class PooledClassifier: Module {
    /// Architecture name, e.g. "mobilenet_v2".
    public let name: String
    public let features: Sequential
    public let avgpool = AdaptiveAvgPool2d(outputSize: (1, 1))
    public let flatten = Flatten(startDim: 1)
    public let classifier: Sequential

    init(name: String, features: [Module], width: Int, numClasses: Int, dropout: Float) {
        self.name = name
        self.features = Sequential(features)
        classifier = Sequential(Dropout(p: dropout), Linear(width, numClasses))
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

    /// (N, 3, H, W) with N, H, W ≥ 1.
    func checkImages(_ x: Tensor, model: String) throws {
        guard x.rank == 4, x.shape[1] == 3 else {
            throw ShapeError("\(model) expects images of shape (N, 3, H, W), got \(x.shape)",
                             suggestion: "Suggested fix: pass a batch of RGB images, e.g. Tensor.randn([1, 3, 224, 224])")
        }
        guard x.shape[0] >= 1, x.shape[2] >= 1, x.shape[3] >= 1 else {
            throw ShapeError("\(model) got an empty batch or image (shape \(x.shape))", suggestion: "Suggested fix: pass at least one image of at least 1x1 pixels")
        }
    }
}

/// A block whose `body` (named `bodyName` in the state dict: MobileNetV2's `conv`,
/// EfficientNet's `block`) is added to its input when the shape is kept (stride 1, same channels).
public class ResidualBranch: Module {
    public let body: Sequential
    public let useResidual: Bool
    let bodyName: String

    init(_ bodyName: String, _ layers: [Module], useResidual: Bool) {
        self.bodyName = bodyName
        body = Sequential(layers)
        self.useResidual = useResidual
    }

    public override var children: [(String, Module)] { [(bodyName, body)] }

    public override func forward(_ x: Tensor) throws -> Tensor {
        let y = try body(x)
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
