/// Which ONNX operators Kiln imports, and the refusal listing every other one at once.
extension ONNXImporter {
    /// Operators of the default domain that Kiln imports (some only on values known at
    /// import: Shape, Gather, Cast, ConstantOfShape, Equal, Where, Mod, Range-free shape arithmetic).
    static let supportedOps: Set<String> = Set([
        "Conv", "BatchNormalization", "Relu", "LeakyRelu", "Clip", "Sigmoid", "HardSigmoid", "HardSwish", "Tanh",
        "Add", "Sub", "Mul", "Div", "Sum", "MaxPool", "AveragePool", "GlobalAveragePool", "GlobalMaxPool",
        "ReduceMean", "Gemm", "MatMul", "Flatten", "Reshape", "Transpose", "Concat", "Split", "Slice",
        "Squeeze", "Unsqueeze", "Softmax", "Dropout", "Identity", "LRN", "Pad", "Constant", "ConstantOfShape",
        "Shape", "Gather", "Cast", "PRelu", "ConvTranspose", "Resize", "Max", "Min", "Pow", "LogSoftmax",
        "InstanceNormalization", "ReduceSum", "Tile", "LayerNormalization", "Gelu", "Equal", "Where", "Mod", "Expand",
    ]).union(unaryMathOps.keys).union(reductionOps.keys)

    func checkSupported() throws(ONNXImportError) {
        var missing: [String: [String]] = [:]
        for n in model.graph.nodes {
            let known = (n.domain.isEmpty || n.domain == "ai.onnx") && Self.supportedOps.contains(n.opType)
            if !known {
                let key = n.domain.isEmpty || n.domain == "ai.onnx" ? n.opType : "\(n.domain).\(n.opType)"
                missing[key, default: []].append(n.name.isEmpty ? (n.outputs.first ?? "?") : n.name)
            }
        }
        guard !missing.isEmpty else { return }
        let operators = missing.keys.sorted().map { ONNXUnsupportedOperator(opType: $0, nodes: missing[$0]!) }
        throw .unsupportedOperators(file: path, opset: opset, operators: operators, supported: Self.supportedOps.sorted())
    }

    /// The values of the node's outputs, in order.
    func importNode(_ n: ONNXNode) throws(ONNXImportError) -> [ImportValue] {
        switch n.opType {
        case "Conv": return [try importConv()]
        case "BatchNormalization": return [try importBatchNorm()]
        case "Relu", "LeakyRelu", "Clip", "Sigmoid", "HardSigmoid", "HardSwish", "Tanh": return [try importActivation()]
        case "Add", "Sub", "Mul", "Div", "Sum", "Max", "Min", "Pow": return [try importBinary()]
        case _ where Self.unaryMathOps[n.opType] != nil: return [try importUnaryMath()]
        case "InstanceNormalization": return [try importInstanceNorm()]
        case "ReduceSum": return [try importReduceSum()]
        case "Tile": return [try importTile()]
        case "LayerNormalization": return try importLayerNorm()
        case "Gelu": return [try importGelu()]
        case "Equal": return [try importEqual()]
        case "Where": return [try importWhere()]
        case "Mod": return [try importMod()]
        case "Expand": return [try importExpand()]
        case "MaxPool", "AveragePool": return [try importPool()]
        case "GlobalAveragePool", "GlobalMaxPool": return [try importGlobalPool()]
        case _ where Self.reductionOps[n.opType] != nil: return [try importReduce(Self.reductionOps[n.opType]!)]
        case "Gemm": return [try importGemm()]
        case "MatMul": return [try importMatMul()]
        case "LRN": return [try importLRN()]
        case "Dropout", "Identity":
            if n.opType == "Dropout", n.outputs.count > 1, consumed.contains(n.outputs[1]) {
                throw unsupported("Dropout's mask output is used; Kiln runs inference only", fix: "export the model in eval mode (model.eval())")
            }
            return [try required(0)]
        case "Flatten": return [try importFlatten()]
        case "Reshape": return [try importReshape()]
        case "Squeeze", "Unsqueeze": return [try importSqueeze(unsqueeze: n.opType == "Unsqueeze")]
        case "Transpose": return [try importTranspose()]
        case "Concat": return [try importConcat()]
        case "Split": return try importSplit()
        case "Slice": return [try importSlice()]
        case "Softmax", "LogSoftmax": return [try importSoftmax()]
        case "Pad": return [try importPad()]
        case "Constant": return [try importConstant()]
        case "ConstantOfShape": return [try importConstantOfShape()]
        case "Shape": return [try importShape()]
        case "Gather": return [try importGather()]
        case "Cast": return [try importCast()]
        case "PRelu": return [try importPRelu()]
        case "ConvTranspose": return [try importConvTranspose()]
        case "Resize": return [try importResize()]
        default:
            throw .unsupportedOperators(file: path, opset: opset, operators: [ONNXUnsupportedOperator(opType: n.opType, nodes: [n.name])],
                                        supported: Self.supportedOps.sorted())
        }
    }
}
