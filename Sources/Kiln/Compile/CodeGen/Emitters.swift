/// State shared by the op emitters while one `forward` function is generated.
final class EmitContext {
    let plan: MemoryPlan
    let shapes: [String: [SymDim]]
    var blob = WeightsBlob()
    /// Largest per-image workspace any step needs (floats).
    var workspace = 0

    init(plan: MemoryPlan, shapes: [String: [SymDim]]) { self.plan = plan; self.shapes = shapes }

    /// A C expression for the value's memory.
    func pointer(_ v: String, const: Bool = true) -> String {
        switch plan.storage[v] {
        case .input(let i)?: return const ? "in[\(i)]" : "(float *)in[\(i)]"
        case .output(let o)?: return "out[\(o)]"
        case .arena(let off)?: return "A(\(off))"
        case nil: return "NULL /* unplanned \(v) */"
        }
    }

    /// Static dims 1… of a value.
    func row(_ v: String) -> [Int] { shapes[v]?.rowShape ?? [] }

    /// Embeds `values` in the weights blob; a C expression for their address.
    func weights(_ values: [Float]) -> String { "W(\(blob.append(values)))" }
    func weights(_ t: Tensor?) -> String { t.map { weights($0.scalars) } ?? "NULL" }
}

/// Emits the C statements of one step.
typealias OpEmitter = @Sendable (LoweredNode, EmitContext, inout CodeWriter) -> Void

/// The op → C emitter table. Each emitter writes one block that computes the node's output
/// for `n` batch rows from its inputs' storage.
enum Emitters {
    static let table: [LoweredOpKind: OpEmitter] = [
        .conv2d: emitConv,
        .tensor: { node, ctx, w in emitTensorStep(node, ctx, &w) },
        .batchNorm: { node, ctx, w in
            guard case let .batchNorm(x, g, b, m, v, eps) = node.op else { return }
            let r = ctx.row(x), hw = r.dropFirst().reduce(1, *)
            w.line("kiln_batchnorm(n, \(r[0]), \(hw), \(ctx.pointer(x)), \(ctx.weights(g)), \(ctx.weights(b)), \(ctx.weights(m)), \(ctx.weights(v)), \(eps)f, \(ctx.pointer(node.name)));")
        },
        .relu: { node, ctx, w in
            guard case let .relu(x) = node.op else { return }
            w.line("kiln_relu((size_t)n * \(node.shape.rowElements), \(ctx.pointer(x)), \(ctx.pointer(node.name)));")
        },
        .add: { node, ctx, w in
            guard case let .add(a, b) = node.op else { return }
            w.line("kiln_add((size_t)n * \(node.shape.rowElements), \(ctx.pointer(a)), \(ctx.pointer(b)), \(ctx.pointer(node.name)));")
        },
        .maxPool2d: { node, ctx, w in
            guard case let .maxPool(x, k, s, p, d, ceil) = node.op else { return }
            let r = ctx.row(x)
            w.block("{") { w in
                w.line("kiln_maxpool2d_params p = {.n = n, .c = \(r[0]), .h = \(r[1]), .w = \(r[2]), .kh = \(k), .kw = \(k), .stride_h = \(s), .stride_w = \(s),")
                w.line("                           .pad_h = \(p), .pad_w = \(p), .dil_h = \(d), .dil_w = \(d), .ceil_mode = \(ceil ? 1 : 0)};")
                w.line("kiln_maxpool2d_init(&p);")
                w.line("kiln_maxpool2d(&p, \(ctx.pointer(x)), \(ctx.pointer(node.name)));")
            }
        },
        .adaptiveAvgPool2d: { node, ctx, w in
            guard case let .adaptiveAvgPool(x, oh, ow) = node.op else { return }
            let r = ctx.row(x)
            w.line("kiln_adaptive_avgpool2d(n, \(r[0]), \(r[1]), \(r[2]), \(oh), \(ow), \(ctx.pointer(x)), \(ctx.pointer(node.name)));")
        },
        .flatten: { _, _, w in w.line("/* a view: shares its input's memory */") },
        .linear: { node, ctx, w in
            guard case let .linear(x, weight, bias) = node.op else { return }
            // Rows: the batch times any dimensions between it and the features.
            let rows = ctx.row(x).dropLast().reduce(1, *)
            w.line("kiln_linear(n\(rows == 1 ? "" : " * \(rows)"), \(weight.shape[1]), \(weight.shape[0]), \(ctx.pointer(x)), \(ctx.weights(weight)), \(ctx.weights(bias)), \(ctx.pointer(node.name)));")
        },
    ]

    static func emitConv(_ node: LoweredNode, _ ctx: EmitContext, _ w: inout CodeWriter) {
        guard case let .conv(c) = node.op else { return }
        let r = ctx.row(c.x)
        let shape = ConvShape(step: c, inputRow: r)
        ctx.workspace = max(ctx.workspace, shape.libraryWorkspace(c.algorithm))
        let packed = ctx.weights(shape.packedWeights(c.weight, for: c.algorithm))
        let bias = ctx.weights(c.bias)
        w.block("{") { w in
            w.line("kiln_conv2d_params p = {.n = n, .c = \(shape.c), .h = \(shape.h), .w = \(shape.w), .oc = \(shape.oc), .kh = \(shape.kh), .kw = \(shape.kw),")
            let g = c.geometry
            w.line("                        .stride_h = \(g.stride.h), .stride_w = \(g.stride.w), .pad_h = \(g.pads.top), .pad_w = \(g.pads.left),")
            w.line("                        .pad_b = \(g.pads.bottom), .pad_r = \(g.pads.right), .dil_h = \(g.dilation.h), .dil_w = \(g.dilation.w), .groups = \(g.groups),")
            w.line("                        .act = \(c.activation.cLiteral)};")
            w.line("kiln_conv2d_init(&p);")
            w.line("const float *x = \(ctx.pointer(c.x)), *w = \(packed), *b = \(bias), *r = \(c.residual.map { ctx.pointer($0) } ?? "NULL");")
            w.line("float *y = \(ctx.pointer(node.name));")
            w.line("(void)r; (void)ws;")
            // The lazy runners by the embedded weights' algorithm, then the large-batch one's.
            let lazyRuns: [ConvAlgorithm: [ConvAlgorithm: String]] = [
                .packedGemm: [.winogradF2x3: "kiln_lazy_winograd_f2x3_run", .winogradF4x3: "kiln_lazy_winograd_f4x3_run"],
                .winogradF2x3: [.winogradF4x3: "kiln_lazy_winograd_f4x3_from_f2x3_run"],
            ]
            let runs = lazyRuns[c.algorithm] ?? [:]
            let switches = c.largeBatch.filter { runs[$0.algorithm] != nil }
            if !switches.isEmpty {
                // Weights for each large-batch algorithm are built from these on its first use;
                // the largest batch threshold is tried first, and a failed build falls through.
                let tries = switches.reversed().map { s in
                    let slot = "lazy_\(s.algorithm.rawValue)"
                    w.line("static kiln_lazy_weights \(slot);")
                    return "(n < \(s.fromBatch) || \(runs[s.algorithm]!)(&\(slot), &p, x, w, b, r, y) != 0)"
                }
                w.line("if (" + tries.joined(separator: " && ") + ")")
                w.line("    " + ConvShape.cCall(c.algorithm) + ";")
            } else if let pool = c.pool, let q = pool.params(over: shape.params) {
                w.line("kiln_maxpool2d_params q = {.n = n, .c = \(q.c), .h = \(q.h), .w = \(q.w), .kh = \(q.kh), .kw = \(q.kw), .stride_h = \(q.stride_h), .stride_w = \(q.stride_w),")
                w.line("                           .pad_h = \(q.pad_h), .pad_w = \(q.pad_w), .dil_h = 1, .dil_w = 1, .ceil_mode = \(q.ceil_mode)};")
                w.line("kiln_maxpool2d_init(&q);")
                w.line("kiln_conv2d_stem_maxpool(&p, &q, x, w, b, y);")
            } else if let scale = c.inputScale {
                w.line("kiln_conv2d_gemm_scaled(&p, x, \(ctx.pointer(scale)), w, b, r, y);")
            } else {
                w.line(ConvShape.cCall(c.algorithm) + ";")
            }
        }
    }
}
