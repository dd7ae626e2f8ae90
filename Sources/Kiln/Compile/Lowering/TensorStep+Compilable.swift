/// What the code generator can compile, judged at lowering so that nothing is written for a
/// graph it would refuse (Lowering sits below CodeGen, so the rule lives with the step).
extension TensorStep {
    /// Ops and forms the code generator handles; the rest are refused before any C is written.
    func checkCompilable(output: [SymDim], node: String) throws {
        let s = self
        func refuse(_ why: String) -> CompileError { .unsupported("\(s.op) \(node): \(why)") }
        let rank = output.count
        guard rank <= 6, s.shapes.allSatisfy({ $0.count <= 6 }) else { throw refuse("rank above 6") }
        let a = s.attributes
        switch s.op {
        case .reduceMean, .reduceMax, .reduceMin, .reduceProd, .reduceL1, .reduceL2, .reduceSumSquare, .reduceLogSum, .reduceLogSumExp:
            let axes = a.axes ?? []
            guard let first = axes.first, first >= 1, axes == Array(first..<(first + axes.count)) else {
                throw refuse("reduces axes \(axes), the batch among them; compiled reductions keep batch rows apart")
            }
        case .softmax, .logSoftmax:
            guard (a.axis ?? 0) >= 1 else { throw refuse("softmax over the batch") }
        case .matmul:
            guard s.shapes[1].count == 2 || s.shapes[0].count == s.shapes[1].count && s.shapes[0].dropLast(2) == s.shapes[1].dropLast(2) else {
                throw refuse("broadcasting matmul of \(s.shapes[0].shapeDescription) and \(s.shapes[1].shapeDescription)")
            }
        case .concat, .slice, .transpose, .pad:
            if s.op == .transpose, a.perm?.first != 0 { throw refuse("moves the batch dimension") }
            if s.op == .concat, a.axis == 0 { throw refuse("concatenates along the batch") }
            if s.op == .slice, a.axes?.contains(0) == true { throw refuse("slices the batch") }
            if s.op == .pad, let p = a.pads, p[0] != 0 || p[rank] != 0 { throw refuse("pads the batch") }
        default: break
        }
        if s.op == .concat, s.operands.contains(where: { $0.valueName == nil }) { throw refuse("concatenates a constant") }
        // An expand of a constant (a class token) takes its batch from its second operand.
        if s.operands.first?.valueName == nil, s.op.binaryOp == nil, s.op != .expand {
            throw refuse("its input is a constant (fold it before compiling)")
        }
    }
}
