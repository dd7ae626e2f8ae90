import Foundation
import SwiftProtobuf
@testable import Kiln

/// Builds small ONNX models in memory (the generated protobuf types), for the importer's
/// hostile and unit tests.
struct ONNXModelBuilder {
    var nodes: [Onnx_NodeProto] = []
    var initializers: [Onnx_TensorProto] = []
    var inputs: [Onnx_ValueInfoProto] = []
    var outputs: [Onnx_ValueInfoProto] = []
    var opset: Int64 = 13

    mutating func input(_ name: String, _ dims: [Any], type: Int32 = 1) {
        var v = Onnx_ValueInfoProto()
        v.name = name
        var t = Onnx_TypeProto.Tensor()
        t.elemType = type
        var s = Onnx_TensorShapeProto()
        for d in dims {
            var dim = Onnx_TensorShapeProto.Dimension()
            if let n = d as? Int { dim.dimValue = Int64(n) } else if let p = d as? String { dim.dimParam = p }
            s.dim.append(dim)
        }
        t.shape = s
        v.type.tensorType = t
        inputs.append(v)
    }

    mutating func output(_ name: String) {
        var v = Onnx_ValueInfoProto()
        v.name = name
        var t = Onnx_TypeProto.Tensor()
        t.elemType = 1
        v.type.tensorType = t
        outputs.append(v)
    }

    mutating func node(_ op: String, _ inputs: [String], _ outputs: [String], name: String = "", ints: [String: [Int64]] = [:], int: [String: Int64] = [:],
                       float: [String: Float] = [:], string: [String: String] = [:]) {
        var n = Onnx_NodeProto()
        n.opType = op; n.input = inputs; n.output = outputs; n.name = name.isEmpty ? (outputs.first ?? op) : name
        for (k, v) in ints { var a = Onnx_AttributeProto(); a.name = k; a.type = .ints; a.ints = v; n.attribute.append(a) }
        for (k, v) in int { var a = Onnx_AttributeProto(); a.name = k; a.type = .int; a.i = v; n.attribute.append(a) }
        for (k, v) in float { var a = Onnx_AttributeProto(); a.name = k; a.type = .float; a.f = v; n.attribute.append(a) }
        for (k, v) in string { var a = Onnx_AttributeProto(); a.name = k; a.type = .string; a.s = Data(v.utf8); n.attribute.append(a) }
        nodes.append(n)
    }

    /// An INT64 initializer (shapes, repeats, sizes).
    mutating func initializer(_ name: String, dims: [Int64], int64s: [Int64]) {
        var t = Onnx_TensorProto()
        t.name = name; t.dims = dims; t.dataType = 7; t.int64Data = int64s
        initializers.append(t)
    }

    @discardableResult
    mutating func initializer(_ name: String, dims: [Int64], floats: [Float]) -> Onnx_TensorProto {
        var t = Onnx_TensorProto()
        t.name = name; t.dims = dims; t.dataType = 1; t.floatData = floats
        initializers.append(t)
        return t
    }

    mutating func external(_ name: String, dims: [Int64], location: String, offset: Int? = nil, length: Int? = nil) {
        var t = Onnx_TensorProto()
        t.name = name; t.dims = dims; t.dataType = 1; t.dataLocation = .external
        var entries = [("location", location)]
        if let offset { entries.append(("offset", "\(offset)")) }
        if let length { entries.append(("length", "\(length)")) }
        t.externalData = entries.map { k, v in var e = Onnx_StringStringEntryProto(); e.key = k; e.value = v; return e }
        initializers.append(t)
    }

    func data() throws -> Data {
        var m = Onnx_ModelProto()
        m.irVersion = 8
        var o = Onnx_OperatorSetIdProto()
        o.domain = ""; o.version = opset
        m.opsetImport = [o]
        var g = Onnx_GraphProto()
        g.name = "g"; g.node = nodes; g.initializer = initializers; g.input = inputs; g.output = outputs
        m.graph = g
        return try m.serializedData()
    }

    /// Writes the model to `dir/name` and returns its URL.
    func write(to dir: URL, name: String = "model.onnx") throws -> URL {
        let url = dir.appendingPathComponent(name)
        try data().write(to: url)
        return url
    }
}
