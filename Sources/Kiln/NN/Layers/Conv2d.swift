/// 2-D convolution, as `torch.nn.Conv2d`. Parameters: `weight` (OC, C/groups, K, K) and
/// optionally `bias` (OC).
public final class Conv2d: Module {
    public let inChannels: Int, outChannels: Int
    public let geometry: Conv2dGeometry
    public let weight: Parameter
    public let bias: Parameter?

    /// Weights start at zero; load a state dict or call `initializeParameters(seed:)`.
    public init(_ inChannels: Int, _ outChannels: Int, kernelSize: Int, stride: Int = 1, padding: Int = 0,
                dilation: Int = 1, groups: Int = 1, bias: Bool = true) {
        precondition(groups >= 1 && inChannels % groups == 0 && outChannels % groups == 0,
                     "Conv2d: channels \(inChannels)→\(outChannels) not divisible by groups \(groups)")
        self.inChannels = inChannels
        self.outChannels = outChannels
        geometry = Conv2dGeometry(kernelSize: kernelSize, stride: stride, padding: padding, dilation: dilation, groups: groups)
        weight = Parameter(.zeros([outChannels, inChannels / groups, kernelSize, kernelSize]))
        self.bias = bias ? Parameter(.zeros([outChannels])) : nil
    }

    public override var localParameters: [(String, Parameter)] {
        [("weight", weight)] + (bias.map { [("bias", $0)] } ?? [])
    }

    public override func forward(_ x: Tensor) throws -> Tensor {
        try expectImage(x, channels: inChannels)
        let (oh, ow) = geometry.outputSize(h: x.shape[2], w: x.shape[3])
        guard oh >= 1, ow >= 1 else {
            throw ShapeError("Conv2d at \(displayPath): input \(x.shape) is smaller than its \(geometry.kh)x\(geometry.kw) kernel")
        }
        return try Kernels.conv2d(x, weight: weight.value, bias: bias?.value, geometry: geometry)
    }

    public override var summary: String {
        var s = "Conv2d(\(inChannels), \(outChannels), kernel: \(geometry.kh)"
        if geometry.stride.h != 1 { s += ", stride: \(geometry.stride.h)" }
        if geometry.padding != 0 { s += ", padding: \(geometry.padding)" }
        if geometry.dilation.h != 1 { s += ", dilation: \(geometry.dilation.h)" }
        if geometry.groups != 1 { s += ", groups: \(geometry.groups)" }
        if bias == nil { s += ", bias: false" }
        return s + ")"
    }
}
