/// A residual block of the ResNet family.
public protocol ResidualBlock: Module {
    /// Output channels = planes × expansion.
    static var expansion: Int { get }
    /// The projection shortcut (`downsample`: 1x1 conv + batch norm), when shapes change.
    var downsample: Sequential? { get }
    init(inplanes: Int, planes: Int, stride: Int, downsample: Sequential?)
}

/// torchvision's `BasicBlock`: two 3x3 convolutions (ResNet-18/34).
public final class BasicBlock: Module, ResidualBlock {
    public static let expansion = 1
    public let conv1: Conv2d, bn1: BatchNorm2d, relu = ReLU(), conv2: Conv2d, bn2: BatchNorm2d
    public let downsample: Sequential?

    public init(inplanes: Int, planes: Int, stride: Int, downsample: Sequential?) {
        conv1 = Conv2d(inplanes, planes, kernelSize: 3, stride: stride, padding: 1, bias: false)
        bn1 = BatchNorm2d(planes)
        conv2 = Conv2d(planes, planes, kernelSize: 3, stride: 1, padding: 1, bias: false)
        bn2 = BatchNorm2d(planes)
        self.downsample = downsample
    }

    public override var children: [(String, Module)] {
        [("conv1", conv1), ("bn1", bn1), ("relu", relu), ("conv2", conv2), ("bn2", bn2)]
            + (downsample.map { [("downsample", $0 as Module)] } ?? [])
    }

    public override func forward(_ x: Tensor) throws -> Tensor {
        let identity = try downsample?(x) ?? x
        let out = try bn2(conv2(relu(bn1(conv1(x)))))
        return Kernels.relu(try Kernels.add(out, identity))
    }
}

/// torchvision's `Bottleneck` (ResNet V1.5: the stride is on the 3x3 convolution):
/// 1x1 reduce, 3x3, 1x1 expand ×4 (ResNet-50 and deeper).
public final class Bottleneck: Module, ResidualBlock {
    public static let expansion = 4
    public let conv1: Conv2d, bn1: BatchNorm2d, conv2: Conv2d, bn2: BatchNorm2d, conv3: Conv2d, bn3: BatchNorm2d
    public let relu = ReLU()
    public let downsample: Sequential?

    public init(inplanes: Int, planes: Int, stride: Int, downsample: Sequential?) {
        conv1 = Conv2d(inplanes, planes, kernelSize: 1, bias: false)
        bn1 = BatchNorm2d(planes)
        conv2 = Conv2d(planes, planes, kernelSize: 3, stride: stride, padding: 1, bias: false)
        bn2 = BatchNorm2d(planes)
        conv3 = Conv2d(planes, planes * 4, kernelSize: 1, bias: false)
        bn3 = BatchNorm2d(planes * 4)
        self.downsample = downsample
    }

    public override var children: [(String, Module)] {
        [("conv1", conv1), ("bn1", bn1), ("conv2", conv2), ("bn2", bn2), ("conv3", conv3), ("bn3", bn3), ("relu", relu)]
            + (downsample.map { [("downsample", $0 as Module)] } ?? [])
    }

    public override func forward(_ x: Tensor) throws -> Tensor {
        let identity = try downsample?(x) ?? x
        var out = try relu(bn1(conv1(x)))
        out = try relu(bn2(conv2(out)))
        out = try bn3(conv3(out))
        return Kernels.relu(try Kernels.add(out, identity))
    }
}
