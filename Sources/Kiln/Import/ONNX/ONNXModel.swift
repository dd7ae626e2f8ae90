import Foundation

/// An ONNX model as Kiln reads it: plain values copied out of the protobuf messages by
/// ``ONNXProtobuf`` (the only code that sees the generated types), nothing executed.
struct ONNXModel: Sendable {
    var irVersion: Int
    var producer: String
    /// Opset version by domain ("" is the default ONNX domain).
    var opsets: [String: Int]
    var graph: ONNXGraph

    /// The default domain's opset (what the operators' semantics follow).
    var opset: Int { opsets[""] ?? opsets["ai.onnx"] ?? 0 }
}

struct ONNXGraph: Sendable {
    var name: String
    var nodes: [ONNXNode]
    var initializers: [ONNXTensorProto]
    var inputs: [ONNXValueInfo]
    var outputs: [ONNXValueInfo]
}

struct ONNXNode: Sendable {
    var name: String
    var opType: String
    var domain: String
    /// Value names; "" marks an omitted optional input.
    var inputs: [String]
    var outputs: [String]
    var attributes: [String: ONNXAttribute]

    /// `"/conv1/Conv" (Conv)` for messages; unnamed nodes are named by their first output.
    var label: String { "\"\(name.isEmpty ? (outputs.first ?? "?") : name)\" (\(opType))" }
}

/// An attribute value (graphs and sparse tensors are recorded by kind only: Kiln runs no
/// control flow).
enum ONNXAttribute: Sendable {
    case int(Int)
    case float(Float)
    case string(String)
    case ints([Int])
    case floats([Float])
    case tensor(ONNXTensorProto)
    case unsupported(String)
}

/// A tensor as stored: dims, element type and data in one of the ways ONNX allows.
struct ONNXTensorProto: Sendable {
    var name: String
    var dims: [Int64]
    var dataType: Int32
    var rawData: Data?
    var floatData: [Float]
    var int32Data: [Int32]
    var int64Data: [Int64]
    var doubleData: [Double]
    /// `location`, `offset`, `length`, … when the data lives in another file.
    var externalData: [String: String]?
}

/// A graph input or output: name, element type and dims (nil when unknown).
struct ONNXValueInfo: Sendable {
    var name: String
    var elemType: Int32
    var dims: [ONNXDim]?
}

enum ONNXDim: Sendable, Hashable {
    case value(Int64)
    case param(String)
    case unknown
}

/// TensorProto.DataType values Kiln reads.
enum ONNXDataType {
    static let float: Int32 = 1, uint8: Int32 = 2, int8: Int32 = 3, int32: Int32 = 6, int64: Int32 = 7
    static let bool: Int32 = 9, float16: Int32 = 10, double: Int32 = 11

    static func name(_ t: Int32) -> String {
        switch t {
        case 1: "FLOAT"; case 2: "UINT8"; case 3: "INT8"; case 4: "UINT16"; case 5: "INT16"; case 6: "INT32"
        case 7: "INT64"; case 8: "STRING"; case 9: "BOOL"; case 10: "FLOAT16"; case 11: "DOUBLE"; case 16: "BFLOAT16"
        default: "type \(t)"
        }
    }
}
