/// Which ATen operators Kiln imports, and the refusal listing every other one (and a schema
/// version Kiln does not read) at once.
extension PT2Importer {
    /// Operators (`namespace.name.overload`, as the archive's `target` writes them after
    /// `torch.ops.`) of the default export IR and of core ATen after `run_decompositions()`.
    static let supportedOps: Set<String> = [
        "aten.conv2d.default", "aten.convolution.default",
        "aten.batch_norm.default", "aten._native_batch_norm_legit_no_training.default",
        "aten.relu.default", "aten.relu_.default", "aten.relu6.default", "aten.hardtanh.default", "aten.hardtanh_.default",
        "aten.clamp.default", "aten.hardswish.default", "aten.hardswish_.default", "aten.hardsigmoid.default",
        "aten.hardsigmoid_.default", "aten.silu.default", "aten.silu_.default", "aten.sigmoid.default", "aten.sigmoid_.default",
        "aten.tanh.default", "aten.tanh_.default", "aten.leaky_relu.default", "aten.leaky_relu_.default",
        "aten.add.Tensor", "aten.add_.Tensor", "aten.sub.Tensor", "aten.sub_.Tensor", "aten.mul.Tensor", "aten.mul_.Tensor",
        "aten.div.Tensor", "aten.div_.Tensor", "aten.add.Scalar", "aten.sub.Scalar", "aten.mul.Scalar", "aten.div.Scalar",
        "aten.max_pool2d.default", "aten.max_pool2d_with_indices.default", "aten.avg_pool2d.default",
        "aten.adaptive_avg_pool2d.default", "aten._adaptive_avg_pool2d.default", "aten.mean.dim", "aten.amax.default", "aten.amin.default",
        "aten.linear.default", "aten.addmm.default", "aten.mm.default",
        "aten.flatten.using_ints", "aten.view.default", "aten.reshape.default", "aten._unsafe_view.default",
        "aten.squeeze.dim", "aten.squeeze.dims", "aten.unsqueeze.default",
        "aten.permute.default", "aten.transpose.int", "aten.t.default", "aten.cat.default",
        "aten.softmax.int", "aten._softmax.default",
        "aten.dropout.default", "aten.dropout_.default", "aten.clone.default", "aten.alias.default", "aten.detach.default",
        "aten.sym_size.int", "aten.exp.default", "aten.log.default", "aten.sqrt.default", "aten.neg.default", "aten.abs.default",
        "aten.sign.default", "aten.reciprocal.default", "aten.mish.default",
        "aten.sin.default", "aten.cos.default", "aten.tan.default", "aten.asin.default", "aten.acos.default", "aten.atan.default",
        "aten.sinh.default", "aten.cosh.default", "aten.asinh.default", "aten.acosh.default", "aten.atanh.default",
        "aten.floor.default", "aten.ceil.default", "aten.round.default", "aten.gelu.default", "aten.gelu_.default", "aten.layer_norm.default", "aten.native_layer_norm.default",
    ]

    static func checkSupported(_ model: PT2Model, path: String) throws(PT2ImportError) {
        var missing: [String: [String]] = [:]
        for n in model.graphModule.graph.nodes {
            let op = n.target.hasPrefix("torch.ops.") ? String(n.target.dropFirst("torch.ops.".count)) : n.target
            guard !supportedOps.contains(op) else { continue }
            let out: String = if case .tensor(let name)? = n.outputs.first { name } else { n.name ?? "?" }
            missing[op, default: []].append(out)
        }
        let version = model.schemaVersion
        let versionOK = version.major == pt2SupportedSchemaMajor
        guard !missing.isEmpty || !versionOK else { return }
        let list = missing.keys.sorted().map { op -> String in
            let names = missing[op]!
            let shown = names.prefix(3).map { "%" + $0 }.joined(separator: ", ") + (names.count > 3 ? ", … (\(names.count) nodes)" : "")
            return "\(op) (\(shown))"
        }
        var problems: [String] = []
        if !versionOK { problems.append("schema version \(version) (Kiln reads \(pt2SupportedSchemaMajor).x)") }
        if !missing.isEmpty {
            problems.append("\(missing.count) operator\(missing.count == 1 ? " is" : "s are") not supported by Kiln: \(list.joined(separator: "; "))")
        }
        let torch = model.torchVersion.map { ", written by torch \($0)" } ?? ""
        var fixes: [String] = []
        if !versionOK { fixes.append("save the program with a torch whose export schema is \(pt2SupportedSchemaMajor).x (torch 2.15 writes 8.20)") }
        if !missing.isEmpty {
            fixes.append("export without them (replace those layers before torch.export.export) or run ep.run_decompositions() first; Kiln imports \(supportedOps.sorted().joined(separator: ", "))")
        }
        throw PT2ImportError(versionOK ? .unsupportedOps : .unsupportedVersion,
                             "\(path): \(problems.joined(separator: "; "))\(torch)", fix: fixes.joined(separator: "; "))
    }

    /// The values of the node's outputs, in order (nil for outputs Kiln does not compute).
    func importNode(_ n: PT2Node) throws(PT2ImportError) -> [PT2Value?] {
        let parts = op(n).split(separator: ".")
        let name = parts.count == 3 ? String(parts[1]) : op(n)
        let base = name.hasSuffix("_") && !name.hasPrefix("_") ? String(name.dropLast()) : name
        switch base {
        case "conv2d", "convolution": return [try importConv()]
        case "batch_norm": return [try importBatchNorm(legit: false)]
        case "_native_batch_norm_legit_no_training": return [try importBatchNorm(legit: true), nil, nil]
        case "relu", "relu6", "hardtanh", "clamp", "hardswish", "hardsigmoid", "silu", "sigmoid", "tanh", "leaky_relu", "gelu":
            return [try importActivation(base)]
        case "add", "sub", "mul", "div": return [try importBinary(base)]
        case "max_pool2d", "max_pool2d_with_indices": return [try importMaxPool(), nil]
        case "avg_pool2d": return [try importAvgPool()]
        case "adaptive_avg_pool2d", "_adaptive_avg_pool2d":
            return [try apply(.adaptiveAvgPool2d, [try tensor("self")], NodeAttributes(outputSize: try ints("output_size", [], count: 2)))]
        case "mean": return [try importReduction(.reduceMean)]
        case "amax": return [try importReduction(.reduceMax)]
        case "amin": return [try importReduction(.reduceMin)]
        case "layer_norm": return [try importLayerNorm()]
        case "native_layer_norm": return [try importLayerNorm(), nil, nil]
        case "linear": return [try importLinear()]
        case "addmm", "mm": return [try importAddmm(base == "addmm")]
        case "flatten": return [try importFlatten()]
        case "view", "reshape", "_unsafe_view": return [try importView()]
        case "squeeze", "unsqueeze": return [try importSqueeze(unsqueeze: base == "unsqueeze")]
        case "permute", "transpose", "t": return [try importPermute(base)]
        case "cat": return [try importCat()]
        case "softmax", "_softmax": return [try importSoftmax()]
        case "dropout":
            if try bool("train", false) { throw unsupported("dropout in training mode", fix: "export the model in eval mode (model.eval())") }
            return [try tensor(n.inputs.first?.name ?? "input")]
        case "clone", "alias", "detach": return [try tensor("self")]
        // Elementwise math of one tensor, the graph op of the same name (torch.round also
        // rounds halves to even).
        case "exp", "log", "sqrt", "neg", "abs", "sign", "reciprocal":
            return [try apply(GraphOp(rawValue: base)!, [try tensor("self")])]
        case _ where UnaryMath(rawValue: base) != nil:
            return [try apply(GraphOp(UnaryMath(rawValue: base)!), [try tensor("self")])]
        case "sym_size":
            let x = try tensor("self")
            let s = shape(x)
            return [.symInt(s[try axis(try int("dim", 0), rank: s.count)])]
        default:
            throw PT2ImportError(.unsupportedOps, "\(location): the operator is not supported", fix: "export without it")
        }
    }
}
