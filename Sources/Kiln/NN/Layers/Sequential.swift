/// Runs its children in order; they are named "0", "1", … as in `torch.nn.Sequential`.
public final class Sequential: Module {
    public let layers: [Module]

    public init(_ layers: [Module]) { self.layers = layers }
    public convenience init(_ layers: Module...) { self.init(layers) }

    public override var children: [(String, Module)] { layers.enumerated().map { ("\($0.offset)", $0.element) } }

    public override func forward(_ x: Tensor) throws -> Tensor {
        try layers.reduce(x) { try $1($0) }
    }

    public override var summary: String { "Sequential(\(layers.count) layers)" }
}
