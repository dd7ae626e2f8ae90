import Foundation

/// Limits that keep a hostile or broken ONNX file from exhausting memory or time.
public struct ONNXImportLimits: Sendable, Hashable {
    /// Largest model file (protobuf itself caps a message at 2 GiB; bigger weights live in
    /// external data files).
    public var maxFileBytes = 2 << 30
    public var maxNodes = 100_000
    /// Largest rank of any tensor or shape.
    public var maxRank = 8
    /// Most elements of one tensor (initializer, constant or folded value).
    public var maxTensorElements = 1 << 30

    public init() {}
    public static let `default` = ONNXImportLimits()
}

/// Imports an ONNX model as an ``ExportedProgram`` — printable, savable to `.kep`, run by
/// the interpreter behind the same guards, and compiled by `aotCompile`/`compile` unchanged.
///
/// ```swift
/// let program = try importONNX(URL(fileURLWithPath: "mobilenet.onnx"),
///                              dynamicShapes: ["input": [0: Dim("batch", min: 1, max: 32)]])
/// ```
///
/// A symbolic input dimension of the model (`dim_param`, e.g. `batch`, as
/// `torch.onnx.export(..., dynamic_axes=…)` writes it) needs a ``Dim`` giving its range, keyed
/// by the input's ONNX name and the dimension (only dimension 0, the batch, may be
/// symbolic). A static dimension cannot be made dynamic: the export specialised the graph's
/// shape arithmetic to it. Shape arithmetic around the batch (Shape → Gather → Unsqueeze →
/// Concat → Reshape), `Constant`, `ConstantOfShape` and constant subgraphs are folded;
/// Dropout and Identity disappear; `x * sigmoid(x)` becomes `silu`.
///
/// - Throws: ``ONNXImportError`` naming the file and the node (name, op type, opset) at fault,
///   with a `Suggested fix:` — unsupported operators are all listed at once.
public func importONNX(_ url: URL, dynamicShapes: DynamicShapes = [:], limits: ONNXImportLimits = .default) throws -> ExportedProgram {
    try importONNX(url, shapes: .explicit(dynamicShapes), limits: limits)
}

/// Imports a model making dimension 0 of every input the symbolic `batch` (the model must
/// declare it symbolic, as `dynamic_axes={"input": {0: "batch"}}` does).
public func importONNX(_ url: URL, batch: Dim, limits: ONNXImportLimits = .default) throws -> ExportedProgram {
    try importONNX(url, shapes: .batch(batch), limits: limits)
}

/// What the caller asked to be symbolic.
enum ONNXShapeRequest: Sendable {
    case explicit(DynamicShapes)
    /// Dimension 0 of every input.
    case batch(Dim)
}

func importONNX(_ url: URL, shapes: ONNXShapeRequest, limits: ONNXImportLimits) throws -> ExportedProgram {
    let path = url.displayPath
    let file: MappedFile
    do {
        file = try MappedFile(url: url)
    } catch {
        throw ONNXImportError.unreadable(file: path, reason: error == .notFound ? "no such file" : "cannot be read (\(error))")
    }
    guard file.count <= limits.maxFileBytes else {
        throw ONNXImportError.limitExceeded(ONNXLocation(file: path), what: "the file has \(file.count) bytes, more than the \(limits.maxFileBytes) Kiln parses",
                                            limit: .maxFileBytes, bound: limits.maxFileBytes,
                                            remedy: "save the weights as external data: onnx.save_model(model, path, save_as_external_data=True)")
    }
    let data = file.count == 0 ? Data() : Data(bytes: file.bytes.baseAddress!, count: file.count)
    return try importONNX(data: data, url: url, shapes: shapes, limits: limits)
}

/// Imports a model whose bytes are already in memory; `url` names it in messages and its
/// folder holds any external data.
public func importONNX(data: Data, url: URL, dynamicShapes: DynamicShapes = [:], limits: ONNXImportLimits = .default) throws -> ExportedProgram {
    try importONNX(data: data, url: url, shapes: .explicit(dynamicShapes), limits: limits)
}

/// ``importONNX(data:url:dynamicShapes:limits:)`` making dimension 0 of every input `batch`.
public func importONNX(data: Data, url: URL, batch: Dim, limits: ONNXImportLimits = .default) throws -> ExportedProgram {
    try importONNX(data: data, url: url, shapes: .batch(batch), limits: limits)
}

func importONNX(data: Data, url: URL, shapes: ONNXShapeRequest, limits: ONNXImportLimits) throws -> ExportedProgram {
    let path = url.displayPath
    guard data.count <= limits.maxFileBytes else {
        throw ONNXImportError.limitExceeded(ONNXLocation(file: path), what: "the model has \(data.count) bytes, more than the \(limits.maxFileBytes) Kiln parses",
                                            limit: .maxFileBytes, bound: limits.maxFileBytes,
                                            remedy: "save the weights as external data: onnx.save_model(model, path, save_as_external_data=True)")
    }
    let model: ONNXModel
    do {
        model = try ONNXProtobuf.decode(data)
    } catch {
        throw ONNXImportError.malformed(ONNXLocation(file: path), problem: "not a valid ONNX model (\(error.message))",
                                        remedy: "check the file is a complete .onnx model (python3 -c \"import onnx; onnx.checker.check_model('\(url.lastPathComponent)')\")")
    }
    let importer = try ONNXImporter(model: model, url: url, shapes: shapes, limits: limits)
    return try importer.run()
}

/// Reads a serialized ONNX `TensorProto` file (as ONNX's test data stores inputs and
/// outputs) as a float tensor.
public func readONNXTensor(_ url: URL, limits: ONNXImportLimits = .default) throws -> Tensor {
    let path = url.displayPath
    let data: Data
    do { data = try Data(contentsOf: url) } catch {
        throw ONNXImportError.unreadable(file: path, reason: "cannot be read (\(error.localizedDescription))")
    }
    let proto: ONNXTensorProto
    do { proto = try ONNXProtobuf.decodeTensor(data) } catch {
        throw ONNXImportError.malformed(ONNXLocation(file: path), problem: "not a TensorProto (\(error.message))",
                                        remedy: "pass a file written by onnx.numpy_helper.from_array(...).SerializeToString()")
    }
    guard proto.externalData == nil else {
        throw ONNXImportError.malformed(ONNXLocation(file: path), problem: "a tensor file with external data", remedy: "store the tensor's data in the file")
    }
    return try ONNXTensorReader(modelURL: url, limits: limits).read(proto, what: "tensor").tensor
}
