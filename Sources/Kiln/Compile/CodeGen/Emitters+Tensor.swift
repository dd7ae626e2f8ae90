/// Emitters of the ONNX-family ops (``TensorStep``), over the kernels of `kiln_ops.h`.
/// Dimension 0 of every value is the batch `n`; all other sizes are constants, so strides
/// are written as numbers.
extension Emitters {
    static func emitTensorStep(_ node: LoweredNode, _ ctx: EmitContext, _ w: inout CodeWriter) {
        guard case .tensor(let s) = node.op else { return }
        let y = ctx.pointer(node.name)
        let out = node.shape
        func ptr(_ i: Int) -> String {
            switch s.operands[i] {
            case .value(let v): ctx.pointer(v)
            case .constant(let t): ctx.weights(t)
            }
        }
        let x = ptr(0)
        let a = s.attributes
        let row = out.rowElements
        w.block("{") { w in
            switch s.op {
            case .clip, .leakyRelu, .sigmoid, .hardSigmoid, .hardSwish, .silu, .tanh, .relu,
                 .elu, .selu, .softplus, .softsign, .exp, .log, .sqrt, .neg, .abs, .sign, .reciprocal, .shrink, .erf, .gelu,
             .sin, .cos, .tan, .asin, .acos, .atan, .sinh, .cosh, .asinh, .acosh, .atanh, .floor, .ceil, .round, .mish, .celu, .thresholdedRelu:
                let act = GraphNode(name: node.name, op: s.op, inputs: [], attributes: a, shape: out).activation!
                w.line("kiln_activation((kiln_act)\(act.cLiteral), (size_t)n * \(row), \(x), \(y));")
            case .add, .sub, .mul, .div, .maximum, .minimum, .pow:
                let kind = s.op.binaryOp!.cKind
                w.line("const int64_t shape[] = {\(dims(out))};")
                w.line("const int64_t as[] = {\(broadcastStrides(s.shapes[0], to: out))}, bs[] = {\(broadcastStrides(s.shapes[1], to: out))};")
                w.line("kiln_binary(\(kind), \(out.count), shape, \(x), as, \(ptr(1)), bs, \(y));")
            case .maxPool2d, .avgPool2d:
                let r = s.shapes[0].rowShape, g = a.spatialGeometry()!
                w.line("kiln_pool2d_params p = {.n = n, .c = \(r[0]), .h = \(r[1]), .w = \(r[2]), .kh = \(g.kernel.h), .kw = \(g.kernel.w), .stride_h = \(g.stride.h), .stride_w = \(g.stride.w),")
                w.line("                        .pad_t = \(g.pads.top), .pad_l = \(g.pads.left), .pad_b = \(g.pads.bottom), .pad_r = \(g.pads.right), .dil_h = \(g.dilation.h), .dil_w = \(g.dilation.w),")
                w.line("                        .ceil_mode = \((a.ceilMode ?? false) ? 1 : 0), .count_include_pad = \((a.countIncludePad ?? false) ? 1 : 0)};")
                w.line("kiln_pool2d_init(&p);")
                w.line("\(s.op == .avgPool2d ? "kiln_avgpool2d" : "kiln_maxpool2d_pads")(&p, \(x), \(y));")
            case .globalMaxPool2d:
                let r = s.shapes[0].rowShape
                w.line("kiln_global_maxpool((size_t)n * \(r[0]), \(r[1] * r[2]), \(x), \(y));")
            case .reduceMean, .reduceMax, .reduceMin, .reduceProd, .reduceL1, .reduceL2, .reduceSumSquare, .reduceLogSum, .reduceLogSumExp:
                let r = [1] + s.shapes[0].rowShape, axes = a.axes!
                let outer = r[1..<axes[0]].reduce(1, *), len = axes.map { r[$0] }.reduce(1, *)
                let inner = r[(axes.last! + 1)...].reduce(1, *)
                if s.op == .reduceMean {
                    w.line("kiln_reduce_mean((size_t)n * \(outer), \(len), \(inner), \(x), \(y));")
                } else {
                    w.line("kiln_reduce(\(s.op.reduction!.cName), (size_t)n * \(outer), \(len), \(inner), \(x), \(y));")
                }
            case .softmax, .logSoftmax:
                let r = [1] + s.shapes[0].rowShape, axis = a.axis!
                w.line("\(s.op == .logSoftmax ? "kiln_log_softmax" : "kiln_softmax")((size_t)n * \(r[1..<axis].reduce(1, *)), \(r[axis]), \(r[(axis + 1)...].reduce(1, *)), \(x), \(y));")
            case .lrn:
                let r = s.shapes[0].rowShape
                w.line("kiln_lrn(n, \(r[0]), \(r.dropFirst().reduce(1, *)), \(a.size!), \(Activation.cFloat(a.alpha!)), \(Activation.cFloat(a.beta!)), \(Activation.cFloat(a.bias!)), \(x), \(y));")
            case .reshape:
                if s.viewSource == nil { w.line("memcpy(\(y), \(x), sizeof(float) * (size_t)n * \(row));") } else { w.line("/* a view: shares its input's memory */") }
            case .transpose:
                let inStrides = contiguousStrides(s.shapes[0]), perm = a.perm!
                w.line("const int64_t shape[] = {\(dims(out))}, ss[] = {\(perm.map { inStrides[$0] }.map(String.init).joined(separator: ", "))}, ds[] = {\(contiguousStrides(out).map(String.init).joined(separator: ", "))};")
                w.line("kiln_copy_strided(\(out.count), shape, \(x), ss, \(y), ds);")
            case .slice:
                let st = contiguousStrides(s.shapes[0])
                var ss = st, offset = 0
                let r = s.shapes[0]
                for (i, axis) in a.axes!.enumerated() {
                    let start = ShapeInference.sliceRange(r[axis].staticValue ?? 1, start: a.starts![i], end: a.ends![i], step: a.steps![i]).start
                    offset += start * st[axis]
                    ss[axis] = st[axis] * a.steps![i]
                }
                w.line("const int64_t shape[] = {\(dims(out))}, ss[] = {\(ss.map(String.init).joined(separator: ", "))}, ds[] = {\(contiguousStrides(out).map(String.init).joined(separator: ", "))};")
                w.line("kiln_copy_strided(\(out.count), shape, \(x) + \(offset), ss, \(y), ds);")
            case .expand:
                // A strided copy whose source strides are 0 where x repeats.
                w.line("const int64_t shape[] = {\(dims(out))}, ss[] = {\(broadcastStrides(s.shapes[0], to: out))}, ds[] = {\(contiguousStrides(out).map(String.init).joined(separator: ", "))};")
                w.line("kiln_copy_strided(\(out.count), shape, \(x), ss, \(y), ds);")
            case .concat:
                let ds = contiguousStrides(out), axis = a.axis!
                w.line("const int64_t ds[] = {\(ds.map(String.init).joined(separator: ", "))};")
                var at = 0
                for (i, shape) in s.shapes.enumerated() {
                    w.line("{ const int64_t shape[] = {\(dims(shape))}, ss[] = {\(contiguousStrides(shape).map(String.init).joined(separator: ", "))};")
                    w.line("  kiln_copy_strided(\(out.count), shape, \(ptr(i)), ss, \(y) + \(at * ds[axis]), ds); }")
                    at += shape[axis].staticValue ?? 0
                }
            case .pad:
                w.line("const int64_t shape[] = {\(dims(s.shapes[0]))}, pads[] = {\(a.pads!.map(String.init).joined(separator: ", "))};")
                w.line("kiln_pad(\(s.shapes[0].count), shape, pads, \(PadMode(rawValue: a.mode!)?.cMode ?? 0), \(Activation.cFloat(a.value ?? 0)), \(x), \(y));")
            case .matmul:
                emitMatmul(s, out: out, a: x, b: ptr(1), y: y, &w)
            default:
                w.line("#error \"no emitter for \(s.op)\"")
            }
        }
    }

    /// y = a · b with cblas_sgemm: b either one (K, N) matrix for all rows of a, or one per batch item.
    private static func emitMatmul(_ s: TensorStep, out: [SymDim], a: String, b: String, y: String, _ w: inout CodeWriter) {
        let sa = s.shapes[0], sb = s.shapes[1]
        let k = sa.last!.staticValue!, nCols = sb.last!.staticValue!
        if sb.count == 2 {
            // All leading dimensions of a are rows.
            let rows = sa.dropFirst().dropLast().reduce(1) { $0 * ($1.staticValue ?? 1) }
            w.line("cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n * \(rows), \(nCols), \(k), 1.0f, \(a), \(k), \(b), \(nCols), 0.0f, \(y), \(nCols));")
            return
        }
        let m = sa[sa.count - 2].staticValue!
        let items = sa.dropFirst().dropLast(2).reduce(1) { $0 * ($1.staticValue ?? 1) }
        w.line("for (int64_t i = 0; i < (int64_t)n * \(items); i++)")
        w.line("    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, \(m), \(nCols), \(k), 1.0f, \(a) + i * \(m * k), \(k), \(b) + i * \(k * nCols), \(nCols), 0.0f, \(y) + i * \(m * nCols), \(nCols));")
    }

    /// `n, 8, 10, 10`: dimension 0 is the batch.
    static func dims(_ shape: [SymDim]) -> String {
        (["n"] + shape.dropFirst().map { String($0.staticValue ?? 1) }).joined(separator: ", ")
    }

    /// Row-major element strides of a shape (dimension 0's is its row size).
    static func contiguousStrides(_ shape: [SymDim]) -> [Int] {
        var strides = [Int](repeating: 1, count: shape.count)
        var acc = 1
        for d in stride(from: shape.count - 1, through: 0, by: -1) {
            strides[d] = acc
            acc *= d == 0 ? 1 : (shape[d].staticValue ?? 1)
        }
        return strides
    }

    /// Strides of an operand viewed at the broadcast output shape (0 where it repeats).
    static func broadcastStrides(_ shape: [SymDim], to out: [SymDim]) -> String {
        let pad = out.count - shape.count
        let own = contiguousStrides(shape)
        return out.indices.map { i -> String in
            guard i >= pad else { return "0" }
            let d = shape[i - pad]
            return d == .static(1) && out[i] != .static(1) ? "0" : String(own[i - pad])
        }.joined(separator: ", ")
    }

}
