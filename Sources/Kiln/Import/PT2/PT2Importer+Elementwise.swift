/// Activations and broadcasting arithmetic.
extension PT2Importer {
    func importActivation(_ name: String) throws(PT2ImportError) -> PT2Value {
        let x = try tensor("self")
        var a = NodeAttributes()
        let op: GraphOp
        switch name {
        case "relu": op = .relu
        case "sigmoid": op = .sigmoid
        case "tanh": op = .tanh
        case "silu": op = .silu
        case "hardswish": op = .hardSwish
        case "hardsigmoid": op = .hardSigmoid; a.alpha = 1.0 / 6; a.beta = 0.5   // relu6(x + 3) / 6
        case "leaky_relu": op = .leakyRelu; a.alpha = Float(try double("negative_slope", 0.01) ?? 0.01)
        case "gelu":
            op = .gelu; a.mode = try string("approximate", "none")
            guard a.mode == "none" || a.mode == "tanh" else {
                throw unsupported("gelu with approximate \"\(a.mode ?? "")\"", fix: "use approximate=\"none\" or \"tanh\" (PyTorch's two forms)")
            }
        default:
            // hardtanh(min_val=-1, max_val=1), relu6 = hardtanh(0, 6), clamp(min?, max?)
            let (lo, hi): (Double?, Double?) = switch name {
            case "relu6": (0, 6)
            case "hardtanh": (try double("min_val", -1), try double("max_val", 1))
            default: (try double("min", nil), try double("max", nil))
            }
            let low = Float(Swift.max(lo ?? -Double(Float.greatestFiniteMagnitude), -Double(Float.greatestFiniteMagnitude)))
            let high = Float(Swift.min(hi ?? Double(Float.greatestFiniteMagnitude), Double(Float.greatestFiniteMagnitude)))
            if low == 0, high == .greatestFiniteMagnitude { return try apply(.relu, [x]) }
            op = .clip; a.min = low; a.max = high
        }
        return try apply(op, [x], a)
    }

    /// `aten.add/sub/mul/div` (`.Tensor`, `.Scalar`, in place): NumPy broadcasting; a number
    /// operand becomes a one-element constant; `x * sigmoid(x)` becomes `silu(x)`.
    func importBinary(_ name: String) throws(PT2ImportError) -> PT2Value {
        let a = try tensor("self")
        let b = try operand("other")
        if name == "add" || name == "sub", try double("alpha", 1) != 1 {
            throw unsupported("\(name) with alpha \(try double("alpha", 1) ?? 1)", fix: "write the scaling as a separate multiplication")
        }
        if name == "mul", let x = siluInput(a, b) ?? siluInput(b, a) { return try apply(.silu, [x]) }
        let op: GraphOp = switch name { case "add": .add; case "sub": .sub; case "mul": .mul; default: .div }
        return try apply(op, [a, b])
    }

    /// The second operand: a tensor, or a number as a one-element constant.
    private func operand(_ name: String) throws(PT2ImportError) -> PT2Value {
        switch arg(name) {
        case .float(let v)?: return scalarConstant(Float(v))
        case .int(let v)?: return scalarConstant(Float(v))
        default: return try tensor(name)
        }
    }

    func scalarConstant(_ v: Float) -> PT2Value {
        .constant(PT2Constant(tensor: Tensor(shape: [1], values: [v]), name: "\(outputName)_scalar", kind: .parameter, id: "%\(outputName)_scalar"))
    }

    /// `x` when `gate` is `sigmoid(x)` computed by the graph.
    private func siluInput(_ x: PT2Value, _ gate: PT2Value) -> PT2Value? {
        guard case .tensor(let xt) = x, case .tensor(let g) = gate, let n = producer[g.name], n.op == .sigmoid, n.inputs == [xt.name] else { return nil }
        return x
    }
}
