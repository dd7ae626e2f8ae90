extension ExportedProgram: CustomStringConvertible {
    /// A readable listing, like printing a `torch.export.ExportedProgram`: the signature, one
    /// line per node with its symbolic shape, and the range constraints.
    ///
    /// ```
    /// %layer1_0_conv1 = conv2d(%maxpool, %layer1.0.conv1.weight) {stride: 1, padding: 1} : [s0, 64, 56, 56]
    /// ```
    public var description: String {
        var lines = ["ExportedProgram \(modelName) (graph \(graphHash), \(graph.nodes.count) nodes)", "Signature:", "  inputs:"]
        for input in signature.inputs { lines.append("    %\(input.name): \(input.shape.shapeDescription)") }
        for (title, group) in [("parameters", signature.parameters), ("buffers", signature.buffers)] where !group.isEmpty {
            lines.append("  \(title) (\(group.count)):")
            for c in group { lines.append("    %\(c.name): \(c.shape)") }
        }
        lines.append("  outputs:")
        let shapes = Dictionary(graph.nodes.map { ($0.name, $0.shape) }, uniquingKeysWith: { a, _ in a })
            .merging(signature.inputs.map { ($0.name, $0.shape) }, uniquingKeysWith: { a, _ in a })
        for output in signature.outputs { lines.append("    %\(output): \(shapes[output]?.shapeDescription ?? "?")") }
        lines.append("Graph:")
        for node in graph.nodes { lines.append("  " + Self.line(node)) }
        lines.append("  return " + signature.outputs.map { "%" + $0 }.joined(separator: ", "))
        lines.append("Range constraints:")
        if rangeConstraints.isEmpty { lines.append("  (none: every dimension is static)") }
        for c in rangeConstraints { lines.append("  \(c)") }
        return lines.joined(separator: "\n")
    }

    /// `%name = op(%a, %b) {attr: v, …} : [s0, …]`.
    static func line(_ node: GraphNode) -> String {
        let args = node.inputs.map { "%" + $0 }.joined(separator: ", ")
        let attrs = attributeText(node.attributes)
        return "%\(node.name) = \(node.op)(\(args))\(attrs.isEmpty ? "" : " {\(attrs)}") : \(node.shape.shapeDescription)"
    }

    /// Attributes that are set, defaults (dilation 1, groups 1, ceil_mode false) omitted.
    static func attributeText(_ a: NodeAttributes) -> String {
        var parts: [String] = []
        if let k = a.kernel { parts.append("kernel: \(k)") }
        if let s = a.stride { parts.append("stride: \(s)") }
        if let p = a.padding { parts.append("padding: \(p)") }
        if let d = a.dilation, d != 1 { parts.append("dilation: \(d)") }
        if let g = a.groups, g != 1 { parts.append("groups: \(g)") }
        if let c = a.ceilMode, c { parts.append("ceil_mode: true") }
        if let e = a.eps { parts.append("eps: \(e)") }
        if let o = a.outputSize { parts.append("output_size: \(o)") }
        if let s = a.startDim { parts.append("start_dim: \(s)") }
        let lists: [(String, [Int]?)] = [("kernel_shape", a.kernelShape), ("strides", a.strides), ("pads", a.pads),
                                         ("dilations", a.dilations?.allSatisfy { $0 == 1 } == true ? nil : a.dilations),
                                         ("axes", a.axes), ("perm", a.perm), ("shape", a.shape), ("starts", a.starts),
                                         ("ends", a.ends), ("steps", a.steps)]
        for (name, v) in lists { if let v { parts.append("\(name): \(v)") } }
        if let c = a.countIncludePad, c { parts.append("count_include_pad: true") }
        let floats: [(String, Float?)] = [("min", a.min), ("max", a.max), ("alpha", a.alpha), ("beta", a.beta), ("bias", a.bias), ("value", a.value)]
        for (name, v) in floats { if let v { parts.append("\(name): \(v)") } }
        if let s = a.size { parts.append("size: \(s)") }
        if let x = a.axis { parts.append("axis: \(x)") }
        if let k = a.keepDims { parts.append("keepdims: \(k)") }
        if let m = a.mode { parts.append("mode: \(m)") }
        return parts.joined(separator: ", ")
    }
}
