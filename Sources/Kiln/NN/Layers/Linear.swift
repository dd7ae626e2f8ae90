/// y = x wᵀ + b, as `torch.nn.Linear`. Parameters: `weight` (OUT, IN), `bias` (OUT).
public final class Linear: Module {
    public let inFeatures: Int, outFeatures: Int
    public let weight: Parameter
    public let bias: Parameter?

    public init(_ inFeatures: Int, _ outFeatures: Int, bias: Bool = true) {
        self.inFeatures = inFeatures
        self.outFeatures = outFeatures
        weight = Parameter(.zeros([outFeatures, inFeatures]))
        self.bias = bias ? Parameter(.zeros([outFeatures])) : nil
    }

    public override var localParameters: [(String, Parameter)] {
        [("weight", weight)] + (bias.map { [("bias", $0)] } ?? [])
    }

    public override func forward(_ x: Tensor) throws -> Tensor {
        guard x.rank == 2, x.shape[1] == inFeatures else {
            throw ShapeError("Linear at \(displayPath) expects (N, \(inFeatures)), got \(x.shape)")
        }
        return Kernels.linear(x, weight: weight.value, bias: bias?.value)
    }

    public override var summary: String { "Linear(\(inFeatures), \(outFeatures)\(bias == nil ? ", bias: false" : ""))" }
}
