// How containers and the ResNet zoo trace their forward pass (see Traceable).

extension Sequential: Traceable {
    public func trace(_ x: GraphValue, in graph: GraphBuilder) throws -> GraphValue {
        try layers.reduce(x) { try graph.trace($1, $0) }
    }
}

extension BasicBlock: Traceable {
    /// In torchvision's order: the main branch, then the shortcut, `add`, and the block's
    /// ReLU again (so its second node is `layer1_0_relu_1`, as in torch.export).
    public func trace(_ x: GraphValue, in graph: GraphBuilder) throws -> GraphValue {
        var out = try graph.trace(relu, graph.trace(bn1, graph.trace(conv1, x)))
        out = try graph.trace(bn2, graph.trace(conv2, out))
        let identity = try downsample.map { try graph.trace($0, x) } ?? x
        let sum = try graph.node(.add, [out, identity], name: "add")
        return try graph.trace(relu, sum)
    }
}

extension Bottleneck: Traceable {
    public func trace(_ x: GraphValue, in graph: GraphBuilder) throws -> GraphValue {
        var out = try graph.trace(relu, graph.trace(bn1, graph.trace(conv1, x)))
        out = try graph.trace(relu, graph.trace(bn2, graph.trace(conv2, out)))
        out = try graph.trace(bn3, graph.trace(conv3, out))
        let identity = try downsample.map { try graph.trace($0, x) } ?? x
        let sum = try graph.node(.add, [out, identity], name: "add")
        return try graph.trace(relu, sum)
    }
}

extension ResNet: Traceable {
    public func trace(_ x: GraphValue, in graph: GraphBuilder) throws -> GraphValue {
        var y = try graph.trace(maxpool, graph.trace(relu, graph.trace(bn1, graph.trace(conv1, x))))
        for stage in [layer1, layer2, layer3, layer4] { y = try graph.trace(stage, y) }
        y = try graph.trace(avgpool, y)
        y = try graph.node(.flatten, [y], attributes: .init(startDim: flatten.startDim), name: "flatten")
        return try graph.trace(fc, y)
    }
}
