/// The program's inputs: float tensors whose dimension 0 may be symbolic (a `dim_param`
/// given a range by the caller's Dim); every other dimension static.
extension ONNXImporter {
    func defineInputs(_ request: ONNXShapeRequest) throws(ONNXImportError) {
        let infos = Dictionary(model.graph.inputs.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
        let names = Self.userInputNames(model)
        guard !names.isEmpty else { throw invalidGraph("the graph has no inputs (every graph input is an initializer)") }
        var shapes: DynamicShapes
        switch request {
        case .explicit(let s): shapes = s
        case .batch(let dim):
            shapes = [:]
            for n in names { shapes[n] = [0: dim] }
        }
        for name in shapes.keys.sorted() where !names.contains(name) {
            var fixed = shapes
            fixed[name] = nil
            throw .unknownInput(file: path, requested: name, inputs: names, without: fixed)
        }
        var symbolByParam: [String: (symbol: String, dim: Dim)] = [:]
        for name in names {
            let info = infos[name]!
            guard info.elemType == ONNXDataType.float else {
                throw unsupported("input \"\(name)\" has element type \(ONNXDataType.name(info.elemType)); Kiln's programs take FLOAT inputs",
                                  fix: "export the model with float32 inputs")
            }
            guard let dims = info.dims, !dims.isEmpty else {
                throw unsupported("input \"\(name)\" has no shape (or is a scalar)", fix: "export the model with the input's shape, e.g. [\"batch\", 3, 224, 224]")
            }
            guard dims.count <= limits.maxRank else {
                throw .limitExceeded(ONNXLocation(file: path), what: "input \"\(name)\" has rank \(dims.count), above \(limits.maxRank)",
                                     limit: .maxRank, bound: limits.maxRank, remedy: "export the model with inputs of rank ≤ \(limits.maxRank)")
            }
            let wanted = shapes[name] ?? [:]
            for d in wanted.keys.sorted() where d != 0 {
                var fixed = shapes
                fixed[name]?[d] = nil
                throw .nonBatchDimension(file: path, input: name, dimension: d, without: fixed.filter { !$0.value.isEmpty })
            }
            var shape: [SymDim] = []
            for (d, dim) in dims.enumerated() {
                switch dim {
                case .value(let n):
                    guard n >= 1, n <= Int64(ShapeInference.dimensionLimit) else {
                        throw shapeError("input \"\(name)\" has dimension \(d) of size \(n); sizes must lie in 1…\(ShapeInference.dimensionLimit)")
                    }
                    if let asked = wanted[d] {
                        var fixed = shapes
                        fixed[name] = nil
                        throw .staticBatch(file: path, input: name, dimension: d, size: Int(n), requested: asked, without: fixed)
                    }
                    shape.append(.static(Int(n)))
                case .param, .unknown:
                    let param: String = if case .param(let p) = dim { p } else { "unk__\(name)_\(d)" }
                    guard d == 0 else {
                        throw unsupported("input \"\(name)\": dimension \(d) is symbolic (\"\(param)\"); only dimension 0 (the batch) can be symbolic in Kiln",
                                          fix: "re-export with a static size for dimension \(d) (fix the image size), e.g. onnx.tools.update_model_dims")
                    }
                    guard let asked = wanted[d] else {
                        var fixed = shapes
                        fixed[name, default: [:]][d] = Dim(param.hasPrefix("unk__") ? "batch" : param, min: 1, max: 32)
                        throw .batchNeedsRange(file: path, input: name, parameter: param, suggested: fixed)
                    }
                    try checkDim(asked, input: name)
                    if let known = symbolByParam[param] {
                        guard known.dim == asked else {
                            throw .conflictingDims(file: path, parameter: param, first: known.dim, second: asked)
                        }
                        shape.append(.symbol(known.symbol))
                    } else {
                        let symbol = "s\(constraints.count)"
                        constraints.append(RangeConstraint(symbol: symbol, dimName: asked.name, min: asked.min, max: asked.max))
                        symbolByParam[param] = (symbol, asked)
                        shape.append(.symbol(symbol))
                    }
                }
            }
            let irName = uniqueName(name)
            inputs.append(GraphInput(name: irName, shape: shape))
            values[name] = .tensor(GraphValue(name: irName, shape: shape))
        }
    }

    private func checkDim(_ dim: Dim, input: String) throws(ONNXImportError) {
        if dim.min < 1 || dim.min > dim.max || dim.max > ShapeInference.dimensionLimit {
            throw .invalidDim(file: path, input: input, dim: dim, limit: ShapeInference.dimensionLimit)
        }
    }
}
