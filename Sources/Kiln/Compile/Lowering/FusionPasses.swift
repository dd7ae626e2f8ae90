import Foundation

/// The graph passes that run before code generation, in order:
/// 1. ``foldBatchNorm(_:)`` — BatchNorm after a convolution becomes the convolution's
///    weights and bias (w' = w·γ/√(σ²+ε), b' = (b−μ)·γ/√(σ²+ε) + β).
/// 2. ``fuseResidualAdd(_:)`` — `add(conv(…), r)` becomes the convolution's epilogue.
/// 3. ``fuseActivation(_:)`` — `act(conv(…))` (ReLU, Clip/ReLU6, LeakyReLU, sigmoid,
///    hard sigmoid, HardSwish, SiLU, tanh) becomes the convolution's epilogue.
/// A fusion applies only when the convolution's output has no other reader.
/// ``fuseInputScale(_:)`` runs after algorithm selection, since it needs the packed GEMM.
enum FusionPasses {
    static func run(_ g: LoweredGraph) -> LoweredGraph {
        fuseActivation(fuseResidualAdd(foldBatchNorm(g)))
    }

    /// Removes node `index`, making later readers of its output read `replacement`.
    private static func replace(_ g: inout LoweredGraph, removing index: Int, with replacement: String) {
        let removed = g.nodes.remove(at: index).name
        let map = [removed: replacement]
        for i in g.nodes.indices { g.nodes[i].op = g.nodes[i].op.renaming(map) }
        g.outputs = g.outputs.map { map[$0] ?? $0 }
    }

    static func foldBatchNorm(_ graph: LoweredGraph) -> LoweredGraph {
        var g = graph
        var i = 0
        while i < g.nodes.count {
            guard case let .batchNorm(x, gamma, beta, mean, variance, eps) = g.nodes[i].op,
                  let p = g.producers[x], case var .conv(c) = g.nodes[p].op, g.useCounts[x] == 1,
                  c.activation == .none, c.residual == nil else { i += 1; continue }
            let oc = c.weight.shape[0], per = c.weight.count / oc
            let w = c.weight.scalars, gm = gamma.scalars, bt = beta.scalars, mu = mean.scalars, vr = variance.scalars
            let b = c.bias?.scalars ?? [Float](repeating: 0, count: oc)
            var nw = [Float](repeating: 0, count: w.count), nb = [Float](repeating: 0, count: oc)
            for o in 0..<oc {
                let s = Double(gm[o]) / (Double(vr[o]) + Double(eps)).squareRoot()
                for k in 0..<per { nw[o * per + k] = Float(Double(w[o * per + k]) * s) }
                nb[o] = Float((Double(b[o]) - Double(mu[o])) * s + Double(bt[o]))
            }
            c.weight = Tensor(shape: c.weight.shape, values: nw)
            c.bias = Tensor(shape: [oc], values: nb)
            c.fused.append(g.nodes[i].name)
            g.nodes[p].op = .conv(c)
            replace(&g, removing: i, with: x)
        }
        return g
    }

    static func fuseResidualAdd(_ graph: LoweredGraph) -> LoweredGraph {
        var g = graph
        var i = 0
        while i < g.nodes.count {
            guard case let .add(a, b) = g.nodes[i].op else { i += 1; continue }
            let uses = g.useCounts, producers = g.producers
            // Prefer the first operand (torchvision's main branch); either works.
            let candidate = [(a, b), (b, a)].first { conv, _ in
                guard let p = producers[conv], uses[conv] == 1, case let .conv(c) = g.nodes[p].op else { return false }
                return c.residual == nil && c.activation == .none && g.nodes[p].shape == g.nodes[i].shape
            }
            guard let (convName, other) = candidate, let p = producers[convName], case var .conv(c) = g.nodes[p].op else {
                i += 1; continue
            }
            // The fused step runs where the add was: both the conv's input and the other
            // operand are computed by then (the shortcut branch may come after the conv).
            c.residual = other
            c.fused.append(g.nodes[i].name)
            g.nodes[i].op = .conv(c)
            replace(&g, removing: p, with: g.nodes[i].name)
            i = p
        }
        return g
    }

    static func fuseActivation(_ graph: LoweredGraph) -> LoweredGraph {
        var g = graph
        var i = 0
        while i < g.nodes.count {
            let candidate: (String, Activation)? = switch g.nodes[i].op {
            case .relu(let x): (x, .relu)
            case .tensor(let s) where s.op.isActivation && s.operands.count == 1:
                s.operands[0].valueName.flatMap { x in
                    GraphNode(name: "", op: s.op, inputs: [], attributes: s.attributes, shape: []).activation.map { (x, $0) }
                }
            default: nil
            }
            guard let (x, act) = candidate, let p = g.producers[x], g.useCounts[x] == 1,
                  case var .conv(c) = g.nodes[p].op, c.activation == .none else { i += 1; continue }
            c.activation = act
            c.fused.append(g.nodes[i].name)
            g.nodes[p].op = .conv(c)
            replace(&g, removing: i, with: x)
        }
        return g
    }

    /// `conv(x * s)` with `s` (N, C, 1, 1) — a squeeze-excitation block's gate times the
    /// depthwise output, then the projecting 1×1 — becomes one convolution that multiplies
    /// while it packs its input (`kiln_conv2d_gemm_scaled`), so the (N, C, H, W) product is
    /// never written and read back. Only for pointwise layers already on the fp32 packed GEMM
    /// with no large-batch switch, and when the product has no other reader.
    static func fuseInputScale(_ graph: LoweredGraph) -> LoweredGraph {
        var g = graph
        var i = 0
        while i < g.nodes.count {
            guard case let .tensor(t) = g.nodes[i].op, t.op == .mul, t.operands.count == 2, t.shapes.count == 2,
                  g.useCounts[g.nodes[i].name] == 1,
                  let p = g.nodes.indices.first(where: { j in
                      if case let .conv(c) = g.nodes[j].op { return c.x == g.nodes[i].name } else { return false } }),
                  case var .conv(c) = g.nodes[p].op, c.inputScale == nil, c.algorithm == .packedGemm, c.largeBatch.isEmpty,
                  c.geometry.groups == 1, c.geometry.kernel == (1, 1), c.geometry.stride == (1, 1),
                  c.geometry.pads == (0, 0, 0, 0), c.geometry.dilation == (1, 1) else { i += 1; continue }
            let shape = g.nodes[i].shape
            // Which operand is the gate: (N, C, 1, 1) against the product's own (N, C, H, W).
            let gate = t.shapes.firstIndex { s in
                s.count == 4 && shape.count == 4 && s[0] == shape[0] && s[1] == shape[1] && s[1].staticValue != nil
                    && s[2] == .static(1) && s[3] == .static(1)
            }
            guard let gi = gate, t.shapes[1 - gi] == shape, let scale = t.operands[gi].valueName,
                  let x = t.operands[1 - gi].valueName else { i += 1; continue }
            c.x = x
            c.inputScale = scale
            c.fused.insert(g.nodes[i].name, at: 0)
            g.nodes[p].op = .conv(c)
            g.nodes.remove(at: i)
        }
        return g
    }
}
