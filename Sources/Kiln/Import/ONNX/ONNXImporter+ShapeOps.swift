/// Constant, ConstantOfShape, Shape and Cast: values known at import (a Shape of a tensor
/// with a symbolic batch is a symbolic vector).
extension ONNXImporter {
    func importConstant() throws(ONNXImportError) -> ImportValue {
        let a = node.attributes
        if case .tensor(let t)? = a["value"] { return .constant(try reader.read(t, what: "Constant")) }
        if case .float(let f)? = a["value_float"] { return .constant(ONNXConstant(shape: [], floats: [f])) }
        if case .floats(let f)? = a["value_floats"] { return .constant(ONNXConstant(shape: [f.count], floats: f)) }
        if case .int(let i)? = a["value_int"] { return .constant(ONNXConstant(shape: [], ints: [Int64(i)])) }
        if case .ints(let i)? = a["value_ints"] { return .constant(ONNXConstant(shape: [i.count], ints: i.map { Int64($0) })) }
        if case .int(let i)? = a["value"] { return .constant(ONNXConstant(shape: [], ints: [Int64(i)])) }
        throw unsupported("a Constant without a tensor, float(s) or int(s) value (sparse or string constants are not supported)",
                          fix: "store the constant as a dense numeric tensor")
    }

    func importConstantOfShape() throws(ONNXImportError) -> ImportValue {
        guard let dims = symbolicInts(try required(0)) else { throw unsupported("ConstantOfShape of a run-time shape", fix: "export with a static shape") }
        guard let shape = dims.staticShape else {
            throw unsupported("ConstantOfShape with the symbolic batch in its shape \(dims.shapeDescription) (a run-time-sized constant)",
                              fix: "re-export with a static batch, or build the tensor from the input (e.g. zeros_like)")
        }
        var count = 1
        for d in shape {
            guard d >= 0 else { throw shapeError("ConstantOfShape with a negative dimension in \(shape)") }
            let (p, o) = count.multipliedReportingOverflow(by: d)
            guard !o, p <= limits.maxTensorElements else {
                throw ONNXImportError.limitExceeded(location, what: "ConstantOfShape \(shape) has more than \(limits.maxTensorElements) elements",
                                                    limit: .maxTensorElements, bound: limits.maxTensorElements, remedy: "export the model with smaller constants")
            }
            count = p
        }
        var value = ONNXConstant(shape: [1], floats: [0])
        if case .tensor(let t)? = node.attributes["value"] { value = try reader.read(t, what: "ConstantOfShape value") }
        guard value.count == 1 else { throw shapeError("ConstantOfShape's value must hold one element, it holds \(value.count)") }
        if let i = value.ints { return .constant(ONNXConstant(shape: shape, ints: [Int64](repeating: i[0], count: count))) }
        return .constant(ONNXConstant(shape: shape, floats: [Float](repeating: value.floats![0], count: count)))
    }

    func importShape() throws(ONNXImportError) -> ImportValue {
        let xs = shape(try required(0))
        let r = xs.count
        var start = try int("start", 0), end = try int("end", r)
        start = Swift.min(Swift.max(start < 0 ? start + r : start, 0), r)
        end = Swift.min(Swift.max(end < 0 ? end + r : end, 0), r)
        let all = if case .moved(let m) = try required(0) { m.logicalShape } else { xs.map(ShapeScalar.init) }
        let dims = start < end ? Array(all[start..<end]) : []
        return symbolicValue(shape: [dims.count], dims)
    }

    func importCast() throws(ONNXImportError) -> ImportValue {
        let x = try required(0)
        let to = Int32(try int("to", Int(ONNXDataType.float)))
        let toFloat = [ONNXDataType.float, ONNXDataType.float16, ONNXDataType.double, 16].contains(to)
        switch x {
        case .tensor, .moved:
            guard to == ONNXDataType.float else {
                throw unsupported("Cast of a run-time tensor to \(ONNXDataType.name(to)); Kiln computes in FLOAT", fix: "remove the cast from the exported model")
            }
            return x
        case .symbolic:
            guard !toFloat else { throw unsupported("Cast of the symbolic batch to \(ONNXDataType.name(to))", fix: "keep shape arithmetic in integers") }
            return x
        case .constant(let c):
            if toFloat { return .constant(ONNXConstant(shape: c.shape, floats: c.floatValues.map { to == ONNXDataType.float16 ? Float(Float16($0)) : $0 })) }
            if to == ONNXDataType.bool { return .constant(ONNXConstant(shape: c.shape, ints: c.floatValues.map { $0 != 0 ? 1 : 0 })) }
            return .constant(ONNXConstant(shape: c.shape, ints: c.intValues.map { Int64($0) }))
        }
    }
}
