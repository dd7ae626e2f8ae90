/// A named tensor a module owns: a learnable parameter (`weight`, `bias`) or a buffer
/// (`running_mean`, `running_var`). The shape is fixed when the module is built; loading
/// weights replaces ``value`` with a tensor of the same shape.
public final class Parameter {
    /// Parameter or buffer, as in PyTorch's state dict.
    public enum Kind: Sendable { case parameter, buffer }
    /// The shape the module was built for.
    public let shape: [Int]
    public let kind: Kind
    /// The current values.
    public var value: Tensor {
        willSet { precondition(newValue.shape == shape, "parameter of shape \(shape) cannot take a tensor of shape \(newValue.shape)") }
    }

    init(_ value: Tensor, kind: Kind = .parameter) {
        shape = value.shape
        self.kind = kind
        self.value = value
    }
}

/// A layer or a network of layers, PyTorch `nn.Module`-style: children and parameters have
/// names, and the dotted path of a parameter is its key in a torchvision state dict
/// (`layer1.0.conv1.weight`).
open class Module {
    /// The dotted path of this module inside the model it belongs to ("" for the root).
    public internal(set) var path: String = ""

    public init() {}

    /// Runs the module on `x` (eager).
    open func forward(_ x: Tensor) throws -> Tensor {
        throw KilnInternalError("\(Self.self).forward is not implemented")
    }

    /// Direct children in registration order, with their local names.
    open var children: [(String, Module)] { [] }

    /// Parameters and buffers owned directly by this module, with local names.
    open var localParameters: [(String, Parameter)] { [] }

    /// A short description of the module's configuration, e.g. `Conv2d(3, 64, kernel: 7, stride: 2)`.
    open var summary: String { "\(Self.self)" }

    /// Runs the module on `x`.
    public func callAsFunction(_ x: Tensor) throws -> Tensor { try forward(x) }

    /// Every module in the tree, depth first, with its dotted path (the root's is "").
    public func namedModules() -> [(String, Module)] {
        var out: [(String, Module)] = [(path, self)]
        for (_, child) in children { out += child.namedModules() }
        return out
    }

    /// Every parameter and buffer in the tree with its full dotted key, in registration order.
    public func namedParameters() -> [(String, Parameter)] {
        var out = localParameters.map { (Module.join(path, $0.0), $0.1) }
        for (_, child) in children { out += child.namedParameters() }
        return out
    }

    /// Number of learnable values (buffers excluded).
    public var parameterCount: Int {
        namedParameters().filter { $0.1.kind == .parameter }.reduce(0) { $0 + $1.1.value.count }
    }

    /// Gives every module in the tree its dotted path; called once on the root after building.
    public func assignPaths(prefix: String = "") {
        path = prefix
        for (name, child) in children { child.assignPaths(prefix: Module.join(prefix, name)) }
    }

    static func join(_ a: String, _ b: String) -> String { a.isEmpty ? b : a + "." + b }

    /// `path` for messages: "the model" for the root.
    var displayPath: String { path.isEmpty ? "the model" : "`\(path)`" }
}
