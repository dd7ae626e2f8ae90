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
            throw dynamicError("dynamicShapes names the input \"\(name)\", but the model's inputs are \(names.map { "\"\($0)\"" }.joined(separator: ", "))",
                               fix: "dynamicShapes: \(swiftLiteral(fixed.isEmpty ? [names[0]: [0: Dim("batch", min: 1, max: 32)]] : fixed))")
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
                throw ONNXImportError(.limitExceeded, "\(path): input \"\(name)\" has rank \(dims.count), above \(limits.maxRank)", fix: "Kiln imports tensors of rank ≤ \(limits.maxRank)")
            }
            let wanted = shapes[name] ?? [:]
            for d in wanted.keys.sorted() where d != 0 {
                var fixed = shapes
                fixed[name]?[d] = nil
                throw dynamicError("dynamicShapes marks dimension \(d) of input \"\(name)\"; only dimension 0 (the batch) can be symbolic",
                                   fix: "dynamicShapes: \(swiftLiteral(fixed.filter { !$0.value.isEmpty }))")
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
                        throw dynamicError("input \"\(name)\": dimension \(d) is static (\(n)) in the model, so it cannot be made \(asked): the export specialised the graph to it",
                                           fix: "re-export with a symbolic batch (torch.onnx.export(..., dynamic_axes={\"\(name)\": {0: \"batch\"}})), or import without the Dim: dynamicShapes: \(swiftLiteral(fixed))")
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
                        throw dynamicError("input \"\(name)\": dimension \(d) is symbolic (\"\(param)\") and needs a range",
                                           fix: "dynamicShapes: \(swiftLiteral(fixed))")
                    }
                    try checkDim(asked, input: name)
                    if let known = symbolByParam[param] {
                        guard known.dim == asked else {
                            throw dynamicError("inputs share the symbolic dimension \"\(param)\" but were given different Dims (\(known.dim) and \(asked))",
                                               fix: "give every input the same Dim: \(known.dim)")
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
            let fixed = Dim(dim.name, min: Swift.max(1, Swift.min(dim.min, dim.max)), max: Swift.min(Swift.max(dim.max, 1), ShapeInference.dimensionLimit))
            throw dynamicError("input \"\(input)\": \(dim) is empty, starts below 1 or exceeds \(ShapeInference.dimensionLimit)", fix: "\(fixed)")
        }
    }

    func dynamicError(_ m: String, fix: String) -> ONNXImportError {
        ONNXImportError(.dynamicShapes, "\(path): \(m)", fix: fix)
    }
}
