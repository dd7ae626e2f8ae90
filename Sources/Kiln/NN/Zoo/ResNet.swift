/// torchvision's ResNet: a 7x7 stem, four stages of residual blocks, average pool and a
/// fully connected classifier. Module and parameter names equal torchvision's, so its
/// state dicts load unchanged.
public final class ResNet: Module {
    /// Architecture name, e.g. "resnet18".
    public let name: String
    public let conv1: Conv2d, bn1: BatchNorm2d, relu = ReLU(), maxpool: MaxPool2d
    public let layer1: Sequential, layer2: Sequential, layer3: Sequential, layer4: Sequential
    public let avgpool = AdaptiveAvgPool2d(outputSize: (1, 1))
    public let flatten = Flatten(startDim: 1)
    public let fc: Linear

    /// Builds the architecture with zero weights; see ``ResNet/resnet18(weights:seed:)``.
    public init<Block: ResidualBlock>(name: String, block: Block.Type, layers: [Int], numClasses: Int = 1000) {
        precondition(layers.count == 4, "ResNet needs four stage depths")
        self.name = name
        conv1 = Conv2d(3, 64, kernelSize: 7, stride: 2, padding: 3, bias: false)
        bn1 = BatchNorm2d(64)
        maxpool = MaxPool2d(kernelSize: 3, stride: 2, padding: 1)
        var inplanes = 64
        func stage(_ planes: Int, _ blocks: Int, stride: Int) -> Sequential {
            var downsample: Sequential?
            if stride != 1 || inplanes != planes * Block.expansion {
                downsample = Sequential(Conv2d(inplanes, planes * Block.expansion, kernelSize: 1, stride: stride, bias: false),
                                        BatchNorm2d(planes * Block.expansion))
            }
            var out: [Module] = [Block(inplanes: inplanes, planes: planes, stride: stride, downsample: downsample)]
            inplanes = planes * Block.expansion
            for _ in 1..<blocks { out.append(Block(inplanes: inplanes, planes: planes, stride: 1, downsample: nil)) }
            return Sequential(out)
        }
        layer1 = stage(64, layers[0], stride: 1)
        layer2 = stage(128, layers[1], stride: 2)
        layer3 = stage(256, layers[2], stride: 2)
        layer4 = stage(512, layers[3], stride: 2)
        fc = Linear(512 * Block.expansion, numClasses)
        super.init()
        assignPaths()
    }

    public override var children: [(String, Module)] {
        [("conv1", conv1), ("bn1", bn1), ("relu", relu), ("maxpool", maxpool), ("layer1", layer1), ("layer2", layer2),
         ("layer3", layer3), ("layer4", layer4), ("avgpool", avgpool), ("fc", fc)]
    }

    /// The stages in order, for inspecting intermediates (name, output after it).
    public func forwardWithIntermediates(_ x: Tensor) throws -> (logits: Tensor, intermediates: [(String, Tensor)]) {
        try checkInput(x)
        var y = try maxpool(relu(bn1(conv1(x))))
        var taps = [("maxpool", y)]
        for (name, stage) in [("layer1", layer1), ("layer2", layer2), ("layer3", layer3), ("layer4", layer4)] {
            y = try stage(y)
            taps.append((name, y))
        }
        y = try avgpool(y)
        taps.append(("avgpool", y))
        return (try fc(flatten(y)), taps)
    }

    public override func forward(_ x: Tensor) throws -> Tensor {
        try forwardWithIntermediates(x).logits
    }

    func checkInput(_ x: Tensor) throws {
        guard x.rank == 4, x.shape[1] == 3 else {
            throw ShapeError("\(name) expects images of shape (N, 3, H, W), got \(x.shape)",
                             suggestion: "Suggested fix: pass a batch of RGB images, e.g. Tensor.randn([1, 3, 224, 224])")
        }
        guard x.shape[0] >= 1 else {
            throw ShapeError("\(name) got an empty batch (shape \(x.shape))", suggestion: "Suggested fix: pass at least one image")
        }
        guard x.shape[2] >= 1, x.shape[3] >= 1 else {
            throw ShapeError("\(name) got images of size \(x.shape[2])x\(x.shape[3])",
                             suggestion: "Suggested fix: pass images of at least 1x1 pixels (224x224 is what the network was trained on)")
        }
    }
}
