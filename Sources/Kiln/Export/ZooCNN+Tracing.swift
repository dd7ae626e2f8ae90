// How MobileNetV2, EfficientNet (PooledClassifier) and their layers trace their forward pass (see Traceable).

extension ActivationLayer: Traceable {
    public func trace(_ x: GraphValue, in graph: GraphBuilder) throws -> GraphValue {
        var a = NodeAttributes()
        let op: GraphOp
        switch activation {
        case .none: return x
        case .relu: op = .relu
        case let .clip(lo, hi): op = .clip; a.min = lo; a.max = hi
        case let .leakyRelu(alpha): op = .leakyRelu; a.alpha = alpha
        case .sigmoid: op = .sigmoid
        case let .hardSigmoid(alpha, beta): op = .hardSigmoid; a.alpha = alpha; a.beta = beta
        case .hardSwish: op = .hardSwish
        case .silu: op = .silu
        case .tanh: op = .tanh
        case let .elu(alpha): op = .elu; a.alpha = alpha
        case let .selu(alpha, gamma): op = .selu; a.alpha = alpha; a.beta = gamma
        case .softplus: op = .softplus
        case .softsign: op = .softsign
        case .exp: op = .exp
        case .log: op = .log
        case .sqrt: op = .sqrt
        case .neg: op = .neg
        case .abs: op = .abs
        case .sign: op = .sign
        case .reciprocal: op = .reciprocal
        case let .shrink(lambd, bias): op = .shrink; a.alpha = lambd; a.beta = bias
        case .erf: op = .erf
        case let .gelu(tanh): op = .gelu; a.mode = tanh ? "tanh" : "none"
        case let .celu(alpha): op = .celu; a.alpha = alpha
        case let .thresholdedRelu(alpha): op = .thresholdedRelu; a.alpha = alpha
        case let .math(f): op = GraphOp(f)
        }
        return try graph.node(op, [x], attributes: a, for: self)
    }
}

extension Dropout: Traceable {
    /// Inference: nothing to trace.
    public func trace(_ x: GraphValue, in graph: GraphBuilder) throws -> GraphValue { x }
}

extension ResidualBranch: Traceable {
    public func trace(_ x: GraphValue, in graph: GraphBuilder) throws -> GraphValue {
        let y = try graph.trace(body, x)
        return useResidual ? try graph.node(.add, [y, x], name: "add") : y
    }
}

extension SqueezeExcitation: Traceable {
    public func trace(_ x: GraphValue, in graph: GraphBuilder) throws -> GraphValue {
        var s = try graph.trace(fc1, graph.trace(avgpool, x))
        s = try graph.trace(scaleActivation, graph.trace(fc2, graph.trace(activation, s)))
        return try graph.node(.mul, [s, x], name: "mul")
    }
}

extension PooledClassifier: Traceable {
    /// features → avgpool → flatten → classifier.
    public func trace(_ x: GraphValue, in graph: GraphBuilder) throws -> GraphValue {
        let pooled = try graph.trace(avgpool, graph.trace(features, x))
        let flat = try graph.node(.flatten, [pooled], attributes: .init(startDim: flatten.startDim), name: "flatten")
        return try graph.trace(classifier, flat)
    }
}
