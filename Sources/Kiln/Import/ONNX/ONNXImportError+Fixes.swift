/// The remedies of an ``ONNXImportError``: as data (``fixes``, which the CLI spells as flags)
/// and as the Swift `Suggested fix:` line.
extension ONNXImportError {
    public var fixes: [Fix] {
        switch self {
        case let .unreadable(file, _):
            return [.advice(Self.checkPath(file))]
        case let .malformed(_, _, remedy), let .unsupportedFeature(_, _, remedy), let .invalidGraph(_, _, remedy),
             let .externalData(_, _, _, _, remedy):
            return [.advice(remedy)]
        case let .limitExceeded(_, _, limit, bound, remedy):
            return [.advice(remedy), .raiseLimit(name: limit.rawValue, bound: bound)]
        case let .unsupportedOperators(_, _, _, supported):
            return [.advice("export without them (e.g. replace the layers in the model before torch.onnx.export), or simplify the graph with onnxsim; Kiln imports \(supported.joined(separator: ", "))")]
        case .invalidTensor:
            return [.advice("re-export the model (e.g. torch.onnx.export) and check it with onnx.checker.check_model")]
        case .shapeMismatch:
            return [.advice("check the model with onnx.shape_inference.infer_shapes(model, strict_mode=True); re-export it if it fails")]
        case let .batchNeedsRange(_, input, _, suggested):
            guard let d = suggested[input]?[0] else { return [] }
            return [.importBatchRange(name: d.name, min: d.min, max: d.max)]
        case let .staticBatch(_, input, _, _, _, _):
            return [.importStaticBatch, .advice(Self.reexportDynamic(input))]
        case .unknownInput, .nonBatchDimension:
            return []
        case let .conflictingDims(_, _, first, _):
            return [.importBatchRange(name: first.name, min: first.min, max: first.max)]
        case let .invalidDim(_, _, dim, limit):
            let fixed = Self.clamped(dim, limit: limit)
            return [.importBatchRange(name: fixed.name, min: fixed.min, max: fixed.max)]
        }
    }

    public var suggestion: String? {
        let text: String
        switch self {
        case let .limitExceeded(_, _, limit, bound, remedy):
            text = "\(remedy), or, if the model is trusted, import it with ONNXImportLimits whose \(limit.rawValue) exceeds \(bound)"
        case let .batchNeedsRange(_, _, _, suggested):
            text = "dynamicShapes: \(swiftLiteral(suggested))"
        case let .staticBatch(_, input, _, _, _, without):
            text = "\(Self.reexportDynamic(input)), or import without the Dim: dynamicShapes: \(swiftLiteral(without))"
        case let .unknownInput(_, _, inputs, without):
            let fixed = without.isEmpty ? [inputs.first ?? "input": [0: Dim("batch", min: 1, max: 32)]] : without
            text = "dynamicShapes: \(swiftLiteral(fixed))"
        case let .nonBatchDimension(_, _, _, without):
            text = "dynamicShapes: \(swiftLiteral(without))"
        case let .conflictingDims(_, _, first, _):
            text = "give every input the same Dim: \(first)"
        case let .invalidDim(_, _, dim, limit):
            text = "\(Self.clamped(dim, limit: limit))"
        default:
            text = fixes.compactMap { if case .advice(let a) = $0 { a } else { nil } }.joined(separator: ", or ")
        }
        return "Suggested fix: " + text
    }

    static func checkPath(_ file: String) -> String {
        let ext = file.split(separator: "/").last.flatMap { $0.contains(".") ? $0.split(separator: ".").last : nil }
        return "check the path of the \(ext.map { ".\($0)" } ?? "model") file"
    }

    static func reexportDynamic(_ input: String) -> String {
        "re-export with a symbolic batch (torch.onnx.export(..., dynamic_axes={\"\(input)\": {0: \"batch\"}}))"
    }

    static func clamped(_ dim: Dim, limit: Int) -> Dim {
        Dim(dim.name, min: Swift.max(1, Swift.min(dim.min, dim.max)), max: Swift.min(Swift.max(dim.max, 1), limit))
    }
}
