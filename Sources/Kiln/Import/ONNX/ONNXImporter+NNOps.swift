/// Convolution, normalisation, activations, pooling and the dense layers.
extension ONNXImporter {
    func importConv() throws(ONNXImportError) -> ImportValue {
        try withWeights { x, w throws(ONNXImportError) in try self.conv(x, w) }
    }

    private func conv(_ x: ImportValue, _ w: ONNXConstant) throws(ONNXImportError) -> ImportValue {
        guard w.shape.count == 4 else {
            throw unsupported("a \(w.shape.count - 2)-D convolution (weights \(w.shape)); Kiln runs 2-D convolutions (4-D weights)",
                              fix: "use Conv2d layers, or reshape the 1-D/3-D data to 2-D before exporting")
        }
        if let ks = try ints("kernel_shape"), ks != Array(w.shape[2...]), [1] + ks != Array(w.shape[2...]) {
            throw shapeError("kernel_shape \(ks) differs from the weights' \(Array(w.shape[2...]))")
        }
        let geometry = try window(x, kernel: (w.shape[2], w.shape[3]))
        var a = NodeAttributes(groups: try int("group", 1))
        a.setSpatialGeometry(geometry, pooling: false)
        var args: [ImportValue] = [x, .constant(w)]
        if try input(2) != nil { args.append(.constant(try requireConstant(2, "bias"))) }
        return try apply(.conv2d, args, a)
    }

    /// Strides, dilations and pads of a 2-D window, with `auto_pad` resolved against the
    /// input's static height and width.
    func window(_ x: ImportValue, kernel: (Int, Int)) throws(ONNXImportError) -> SpatialGeometry {
        let s = try ints("strides") ?? [1, 1], d = try ints("dilations") ?? [1, 1]
        var p = try ints("pads") ?? [0, 0, 0, 0]
        guard s.count == 2, d.count == 2, p.count == 4 else {
            throw unsupported("strides \(s), dilations \(d), pads \(p) are not 2-D; Kiln runs 2-D windows", fix: "use 2-D convolutions and pooling")
        }
        let autoPad = try string("auto_pad", "NOTSET")
        if autoPad == "SAME_UPPER" || autoPad == "SAME_LOWER" {
            guard case .tensor(let t) = x, t.shape.count == 4, let h = t.shape[2].staticValue, let wd = t.shape[3].staticValue else {
                throw shapeError("auto_pad \(autoPad) needs a 4-D input with static height and width")
            }
            p = [0, 0, 0, 0]
            for (i, (n, k)) in [(h, kernel.0), (wd, kernel.1)].enumerated() {
                guard s[i] >= 1 else { break }
                let out = (n + s[i] - 1) / s[i]
                let total = Swift.max(0, (out - 1) * s[i] + (k - 1) * d[i] + 1 - n)
                let begin = autoPad == "SAME_UPPER" ? total / 2 : total - total / 2
                p[i] = begin; p[i + 2] = total - begin
            }
        } else if autoPad == "VALID" {
            p = [0, 0, 0, 0]
        } else if autoPad != "NOTSET" {
            throw unsupported("auto_pad \"\(autoPad)\" is not an ONNX value", fix: "use NOTSET, SAME_UPPER, SAME_LOWER or VALID")
        }
        return SpatialGeometry(kernel: kernel, stride: (s[0], s[1]), dilation: (d[0], d[1]), pads: (p[0], p[1], p[2], p[3]))
    }

    func importBatchNorm() throws(ONNXImportError) -> ImportValue {
        if try int("training_mode", 0) != 0 || node.outputs.dropFirst().contains(where: { !$0.isEmpty }) {
            throw unsupported("batch normalization in training mode (running statistics as outputs)", fix: "export the model in eval mode (model.eval())")
        }
        if try int("spatial", 1) != 1 {
            throw unsupported("spatial = 0 (per-activation statistics) is not supported", fix: "export with spatial batch normalization")
        }
        let params = try [1, 2, 3, 4].map { i throws(ONNXImportError) in ImportValue.constant(try requireConstant(i, ["scale", "bias", "mean", "variance"][i - 1])) }
        return try apply(.batchNorm, [try required(0)] + params, NodeAttributes(eps: try float("epsilon", 1e-5)))
    }

    func importActivation() throws(ONNXImportError) -> ImportValue {
        let x = try required(0)
        var a = NodeAttributes()
        let op: GraphOp
        switch node.opType {
        case "Relu": op = .relu
        case "LeakyRelu": op = .leakyRelu; a.alpha = try float("alpha", 0.01)
        case "Sigmoid": op = .sigmoid
        case "Tanh": op = .tanh
        case "HardSwish": op = .hardSwish
        case "HardSigmoid":
            op = .hardSigmoid; a.alpha = try float("alpha", 0.2); a.beta = try float("beta", 0.5)
        default:
            // Clip: bounds as attributes before opset 11, as optional scalar inputs since.
            var lo = -Float.greatestFiniteMagnitude, hi = Float.greatestFiniteMagnitude
            if opset < 11 {
                lo = try float("min", lo); hi = try float("max", hi)
            } else {
                if try input(1) != nil { lo = try scalar(1, "min") }
                if try input(2) != nil { hi = try scalar(2, "max") }
            }
            lo = Swift.max(lo, -Float.greatestFiniteMagnitude); hi = Swift.min(hi, Float.greatestFiniteMagnitude)
            if lo == 0, hi == Float.greatestFiniteMagnitude { return try apply(.relu, [x]) }
            op = .clip; a.min = lo; a.max = hi
        }
        return try apply(op, [x], a)
    }

    func scalar(_ i: Int, _ what: String) throws(ONNXImportError) -> Float {
        let c = try requireConstant(i, what)
        guard c.count == 1 else { throw shapeError("\(what) must be a scalar, got shape \(c.shape)") }
        return c.floatValues[0]
    }

    func importPool() throws(ONNXImportError) -> ImportValue {
        if try ints("kernel_shape")?.count == 1 { return try asOneD(try required(0)) { x throws(ONNXImportError) in try self.pool(x) } }
        if let k = try ints("kernel_shape"), k.count == 3 { return try pool3D(try required(0), kernel: k) }
        return try pool(try required(0))
    }

    func pool(_ x: ImportValue) throws(ONNXImportError) -> ImportValue {
        guard let k = try ints("kernel_shape"), k.count == 2 else {
            throw unsupported("a pooling window of kernel_shape \((try ints("kernel_shape") ?? [])); Kiln pools 2-D (N, C, H, W) inputs",
                              fix: "use 2-D pooling layers")
        }
        if node.opType == "MaxPool", try int("storage_order", 0) != 0 || node.outputs.dropFirst().contains(where: { !$0.isEmpty }) {
            throw unsupported("MaxPool's indices output (or storage_order 1) is not supported", fix: "export without return_indices")
        }
        let g = try window(x, kernel: (k[0], k[1]))
        var a = NodeAttributes(ceilMode: try int("ceil_mode", 0) != 0)
        if node.opType == "MaxPool" {
            if g.isSquareSymmetric, g.pads.top <= g.kernel.h / 2 { a.setSpatialGeometry(g, pooling: true) } else {
                a.kernelShape = [k[0], k[1]]; a.strides = [g.stride.h, g.stride.w]
                a.pads = [g.pads.top, g.pads.left, g.pads.bottom, g.pads.right]; a.dilations = [g.dilation.h, g.dilation.w]
            }
            return try apply(.maxPool2d, [x], a)
        }
        a.kernelShape = [k[0], k[1]]; a.strides = [g.stride.h, g.stride.w]
        a.pads = [g.pads.top, g.pads.left, g.pads.bottom, g.pads.right]
        a.countIncludePad = try int("count_include_pad", 0) != 0
        return try apply(.avgPool2d, [x], a)
    }

    func importGlobalPool() throws(ONNXImportError) -> ImportValue {
        let x = try required(0)
        let rank: Int = switch x { case .tensor(let t): t.shape.count; case .constant(let c): c.shape.count; case .symbolic: 0; case .moved(let m): m.dims.count }
        if node.opType == "GlobalAveragePool" {
            if rank == 4 { return try apply(.adaptiveAvgPool2d, [x], NodeAttributes(outputSize: [1, 1])) }
            var a = NodeAttributes()
            a.axes = Array(2..<Swift.max(rank, 3)); a.keepDims = true
            return try apply(.reduceMean, [x], a)
        }
        guard rank == 4 else { throw unsupported("GlobalMaxPool of a rank-\(rank) input; Kiln pools (N, C, H, W)", fix: "use 2-D pooling") }
        return try apply(.globalMaxPool2d, [x])
    }

    /// The reductions Kiln imports, by ONNX operator (ReduceSum: `importReduceSum`). All take
    /// their axes as an input from opset 18.
    static let reductionOps: [String: GraphOp] = [
        "ReduceMean": .reduceMean, "ReduceMax": .reduceMax, "ReduceMin": .reduceMin, "ReduceProd": .reduceProd,
        "ReduceL1": .reduceL1, "ReduceL2": .reduceL2, "ReduceSumSquare": .reduceSumSquare,
        "ReduceLogSum": .reduceLogSum, "ReduceLogSumExp": .reduceLogSumExp,
    ]

    func importReduce(_ op: GraphOp) throws(ONNXImportError) -> ImportValue {
        let x = try required(0)
        guard let axes = try reductionAxes(rank: try rank(x), axesInputSince: 18) else { return x }
        var a = NodeAttributes()
        a.axes = axes; a.keepDims = try int("keepdims", 1) != 0
        return try apply(op, [x], a)
    }

    func importLRN() throws(ONNXImportError) -> ImportValue {
        var a = NodeAttributes()
        a.size = try int("size", 0); a.alpha = try float("alpha", 1e-4); a.beta = try float("beta", 0.75); a.bias = try float("bias", 1)
        return try apply(.lrn, [try required(0)], a)
    }

    func rank(_ v: ImportValue) throws(ONNXImportError) -> Int {
        switch v {
        case .tensor(let t): t.shape.count
        case .constant(let c): c.shape.count
        case .symbolic(let s, _): s.count
        case .moved(let m): m.dims.count
        }
    }

    func shape(_ v: ImportValue) -> [SymDim] {
        switch v {
        case .tensor(let t): t.shape
        case .constant(let c): .init(static: c.shape)
        case .symbolic(let s, _): .init(static: s)
        // For messages and rank checks only: every handler refuses a moved value unless it follows it.
        case .moved(let m): m.logicalShape.map { $0.symDim ?? .symbol($0.description) }
        }
    }
}
