// Graph lowerings of containers and the ResNet zoo (see Lowerable).

extension Sequential: Lowerable {
    public func lower(_ x: GraphValue, in graph: GraphBuilder) throws -> GraphValue {
        try layers.reduce(x) { try graph.lower($1, $0) }
    }
}

extension BasicBlock: Lowerable {
    /// In torchvision's order: the main branch, then the shortcut, `add`, and the block's
    /// ReLU again (so its second node is `layer1_0_relu_1`, as in torch.export).
    public func lower(_ x: GraphValue, in graph: GraphBuilder) throws -> GraphValue {
        var out = try graph.lower(relu, graph.lower(bn1, graph.lower(conv1, x)))
        out = try graph.lower(bn2, graph.lower(conv2, out))
        let identity = try downsample.map { try graph.lower($0, x) } ?? x
        let sum = try graph.node(.add, [out, identity], name: "add")
        return try graph.lower(relu, sum)
    }
}

extension Bottleneck: Lowerable {
    public func lower(_ x: GraphValue, in graph: GraphBuilder) throws -> GraphValue {
        var out = try graph.lower(relu, graph.lower(bn1, graph.lower(conv1, x)))
        out = try graph.lower(relu, graph.lower(bn2, graph.lower(conv2, out)))
        out = try graph.lower(bn3, graph.lower(conv3, out))
        let identity = try downsample.map { try graph.lower($0, x) } ?? x
        let sum = try graph.node(.add, [out, identity], name: "add")
        return try graph.lower(relu, sum)
    }
}

extension ResNet: Lowerable {
    public func lower(_ x: GraphValue, in graph: GraphBuilder) throws -> GraphValue {
        var y = try graph.lower(maxpool, graph.lower(relu, graph.lower(bn1, graph.lower(conv1, x))))
        for stage in [layer1, layer2, layer3, layer4] { y = try graph.lower(stage, y) }
        y = try graph.lower(avgpool, y)
        y = try graph.node(.flatten, [y], attributes: .init(startDim: flatten.startDim), name: "flatten")
        return try graph.lower(fc, y)
    }
}
