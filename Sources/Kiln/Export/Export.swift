/// Captures `model` as an ``ExportedProgram``: traces its forward pass over symbolic shapes
/// into one graph, lifting its parameters and buffers as named constants — PyTorch's
/// `torch.export.export`.
///
/// ```swift
/// let model = try resnet18()
/// let program = try export(model, exampleInputs: [Tensor.randn([2, 3, 224, 224])],
///                          dynamicShapes: ["x": [0: Dim("batch", min: 2, max: 32)]])
/// print(program)
/// let logits = try program.run([Tensor.randn([8, 3, 224, 224])])[0]
/// ```
///
/// The model's input is named `x`. Each Dim in `dynamicShapes` makes that dimension a
/// symbol (`s0`, `s1`, …); every other dimension is fixed to the example's size. Capture is
/// symbolic, so an example size of 1 with `Dim("batch", min: 1, max: 32)` is fine — unlike
/// PyTorch, which specialises sizes 0 and 1.
///
/// - Throws: ``ExportError`` — each with a "Suggested fix:" — when the example count is
///   wrong, a Dim is invalid (min > max, min < 1, example outside the range), a Dim marks a
///   dimension an op needs static (only the batch can stay symbolic), a module is not
///   ``Traceable`` (no graph breaks), or the example does not fit the model.
public func export(_ model: Module, exampleInputs: [Tensor], dynamicShapes: DynamicShapes = [:]) throws -> ExportedProgram {
    try export(model, exampleShapes: exampleInputs.map(\.shape), dynamicShapes: dynamicShapes)
}

/// ``export(_:exampleInputs:dynamicShapes:)`` from the example inputs' shapes alone: capture
/// is symbolic and never reads the examples' values, so nothing of their size is allocated
/// (the CLI exports `--image-size 100000` to a typed error, not an allocation failure).
/// - Throws: as the tensor form, and ``ExportError/emptyExample(input:shape:)`` for a size
///   below 1.
public func export(_ model: Module, exampleShapes: [[Int]], dynamicShapes: DynamicShapes = [:]) throws -> ExportedProgram {
    let names = ["x"]
    guard exampleShapes.count == names.count else { throw ExportError.inputCount(expected: names.count, got: exampleShapes.count) }

    // Check the Dims, then give each a symbol, in input and dimension order.
    for name in dynamicShapes.keys.sorted() where !names.contains(name) {
        var fixed = dynamicShapes
        fixed[name] = nil
        if fixed[names[0]] == nil { fixed[names[0]] = dynamicShapes[name] }
        throw ExportError.unknownInput(name: name, inputs: names, fixed: fixed)
    }
    var origins: [String: GraphBuilder.SymbolOrigin] = [:]
    var constraints: [RangeConstraint] = []
    var inputs: [GraphInput] = []
    for (name, exampleShape) in zip(names, exampleShapes) {
        // A static size 0 would compile a graph the kernels cannot run (they divide work by sizes).
        guard exampleShape.allSatisfy({ $0 >= 1 }) else {
            throw ExportError.emptyExample(input: name, shape: exampleShape.map { Swift.max($0, 0) })
        }
        let example = (shape: exampleShape, rank: exampleShape.count)
        let dims = dynamicShapes[name] ?? [:]
        var shape = [SymDim](static: example.shape)
        for d in dims.keys.sorted() {
            let dim = dims[d]!
            guard d >= 0, d < example.rank else {
                var fixed = dynamicShapes
                fixed[name]?[d] = nil
                if fixed[name]?.isEmpty == true { fixed[name] = nil }
                throw ExportError.dimensionOutOfRange(input: name, dimension: d, shape: example.shape, fixed: fixed)
            }
            guard dim.min >= 1 else { throw ExportError.minBelowOne(input: name, dimension: d, dim: dim) }
            guard dim.min <= dim.max else { throw ExportError.minAboveMax(input: name, dimension: d, dim: dim) }
            guard dim.max <= ShapeInference.dimensionLimit else { throw ExportError.maxTooLarge(input: name, dimension: d, dim: dim) }
            let size = example.shape[d]
            guard (dim.min...dim.max).contains(size) else {
                throw ExportError.exampleOutsideRange(input: name, dimension: d, size: size, dim: dim)
            }
            let symbol = "s\(constraints.count)"
            constraints.append(RangeConstraint(symbol: symbol, dimName: dim.name, min: dim.min, max: dim.max))
            origins[symbol] = .init(input: name, dimension: d, dim: dim, shapes: dynamicShapes)
            shape[d] = .symbol(symbol)
        }
        if (ShapeInference.elementsPerRow(shape) ?? Int.max) > ShapeInference.dimensionLimit {
            throw ExportError.tooLarge(what: "the example input \(name) has shape", shape: shape,
                                       elementsPerRow: ShapeInference.elementsPerRow(shape))
        }
        inputs.append(GraphInput(name: name, shape: shape))
    }

    let builder = GraphBuilder(root: model, inputNames: names, symbolOrigins: origins)
    let output = try builder.trace(model, GraphValue(name: names[0], shape: inputs[0].shape))
    let lifted = builder.liftedConstants(root: model)
    let description = ProgramDescription(
        model: model.modelName, graph: Graph(nodes: builder.nodes),
        signature: GraphSignature(inputs: inputs, constants: lifted.map(\.0), outputs: [output.name]),
        rangeConstraints: constraints)
    var stateDict: [String: Tensor] = [:]
    for (c, t) in lifted { stateDict[c.name] = t }
    do {
        return try ExportedProgram(description, stateDict: stateDict)
    } catch {
        throw KilnInternalError("export built an invalid graph: \(error)")
    }
}
