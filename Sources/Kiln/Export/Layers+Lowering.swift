// Graph lowerings of the engine's layers (see Lowerable).

extension Conv2d: Lowerable {
    public func lower(_ x: GraphValue, in graph: GraphBuilder) throws -> GraphValue {
        var inputs = [x, graph.constant(weight, named: "weight", of: self)]
        if let bias { inputs.append(graph.constant(bias, named: "bias", of: self)) }
        let g = geometry
        return try graph.node(.conv2d, inputs, attributes: .init(stride: g.stride.h, padding: g.padding, dilation: g.dilation.h, groups: g.groups),
                              for: self)
    }
}

extension BatchNorm2d: Lowerable {
    public func lower(_ x: GraphValue, in graph: GraphBuilder) throws -> GraphValue {
        let params = localParameters.map { graph.constant($0.1, named: $0.0, of: self) }
        return try graph.node(.batchNorm, [x] + params, attributes: .init(eps: eps), for: self)
    }
}

extension ReLU: Lowerable {
    public func lower(_ x: GraphValue, in graph: GraphBuilder) throws -> GraphValue {
        try graph.node(.relu, [x], for: self)
    }
}

extension MaxPool2d: Lowerable {
    public func lower(_ x: GraphValue, in graph: GraphBuilder) throws -> GraphValue {
        try graph.node(.maxPool2d, [x], attributes: .init(stride: stride, padding: padding, dilation: dilation, kernel: kernelSize,
                                                           ceilMode: ceilMode), for: self)
    }
}

extension AdaptiveAvgPool2d: Lowerable {
    public func lower(_ x: GraphValue, in graph: GraphBuilder) throws -> GraphValue {
        try graph.node(.adaptiveAvgPool2d, [x], attributes: .init(outputSize: [outputSize.0, outputSize.1]), for: self)
    }
}

extension Flatten: Lowerable {
    public func lower(_ x: GraphValue, in graph: GraphBuilder) throws -> GraphValue {
        try graph.node(.flatten, [x], attributes: .init(startDim: startDim), for: self)
    }
}

extension Linear: Lowerable {
    public func lower(_ x: GraphValue, in graph: GraphBuilder) throws -> GraphValue {
        var inputs = [x, graph.constant(weight, named: "weight", of: self)]
        if let bias { inputs.append(graph.constant(bias, named: "bias", of: self)) }
        return try graph.node(.linear, inputs, for: self)
    }
}
