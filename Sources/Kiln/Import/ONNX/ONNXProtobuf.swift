import Foundation
internal import SwiftProtobuf

/// The bridge to swift-protobuf: decodes a serialized `ModelProto` (the generated types of
/// `Generated/onnx.pb.swift`) and copies what Kiln reads into ``ONNXModel``. The only file
/// that touches the generated messages.
enum ONNXProtobuf {
    /// Deepest message nesting accepted (a graph attribute inside a node inside a graph …):
    /// bounds the decoder's recursion on hostile input.
    static let messageDepthLimit = 32

    /// - Throws: the decoder's message (a `String`) when `data` is not a ModelProto.
    static func decode(_ data: Data) throws(ONNXProtobufFailure) -> ONNXModel {
        var options = BinaryDecodingOptions()
        options.messageDepthLimit = messageDepthLimit
        let proto: Onnx_ModelProto
        do {
            proto = try Onnx_ModelProto(serializedBytes: data, options: options)
        } catch {
            throw ONNXProtobufFailure(message: "\(error)")
        }
        guard proto.hasGraph else { throw ONNXProtobufFailure(message: "the ModelProto has no graph") }
        var opsets: [String: Int] = [:]
        for o in proto.opsetImport { opsets[o.domain] = Int(clamping: o.version) }
        return ONNXModel(irVersion: Int(clamping: proto.irVersion), producer: proto.producerName + (proto.producerVersion.isEmpty ? "" : " " + proto.producerVersion),
                         opsets: opsets, graph: graph(proto.graph))
    }

    private static func graph(_ g: Onnx_GraphProto) -> ONNXGraph {
        ONNXGraph(name: g.name, nodes: g.node.map(node), initializers: g.initializer.map(tensor),
                  inputs: g.input.map(valueInfo), outputs: g.output.map(valueInfo))
    }

    private static func node(_ n: Onnx_NodeProto) -> ONNXNode {
        var attributes: [String: ONNXAttribute] = [:]
        for a in n.attribute { attributes[a.name] = attribute(a) }
        return ONNXNode(name: n.name, opType: n.opType, domain: n.domain, inputs: n.input, outputs: n.output, attributes: attributes)
    }

    private static func attribute(_ a: Onnx_AttributeProto) -> ONNXAttribute {
        // Old exporters leave `type` unset; fall back to whichever field is present.
        switch a.type {
        case .int: return .int(Int(clamping: a.i))
        case .float: return .float(a.f)
        case .string: return .string(String(decoding: a.s, as: UTF8.self))
        case .ints: return .ints(a.ints.map { Int(clamping: $0) })
        case .floats: return .floats(a.floats)
        case .tensor: return .tensor(tensor(a.t))
        case .undefined:
            if a.hasI { return .int(Int(clamping: a.i)) }
            if a.hasF { return .float(a.f) }
            if a.hasS { return .string(String(decoding: a.s, as: UTF8.self)) }
            if a.hasT { return .tensor(tensor(a.t)) }
            if !a.ints.isEmpty { return .ints(a.ints.map { Int(clamping: $0) }) }
            if !a.floats.isEmpty { return .floats(a.floats) }
            return .unsupported("undefined")
        default: return .unsupported("\(a.type)")
        }
    }

    fileprivate static func tensor(_ t: Onnx_TensorProto) -> ONNXTensorProto {
        var external: [String: String]?
        if t.dataLocation == .external {
            external = [:]
            for e in t.externalData { external?[e.key] = e.value }
        }
        return ONNXTensorProto(name: t.name, dims: t.dims, dataType: t.dataType, rawData: t.hasRawData ? t.rawData : nil,
                               floatData: t.floatData, int32Data: t.int32Data, int64Data: t.int64Data,
                               doubleData: t.doubleData, externalData: external)
    }

    private static func valueInfo(_ v: Onnx_ValueInfoProto) -> ONNXValueInfo {
        guard case .tensorType(let tt)? = v.type.value else { return ONNXValueInfo(name: v.name, elemType: 0, dims: nil) }
        let dims: [ONNXDim]? = tt.hasShape ? tt.shape.dim.map { d in
            switch d.value {
            case .dimValue(let n)?: .value(n)
            case .dimParam(let p)?: p.isEmpty ? .unknown : .param(p)
            case nil: .unknown
            }
        } : nil
        return ONNXValueInfo(name: v.name, elemType: tt.elemType, dims: dims)
    }
}

/// The protobuf decoder's complaint about a file.
struct ONNXProtobufFailure: Error {
    let message: String
}

extension ONNXProtobuf {
    /// Decodes one serialized `TensorProto` (the `input_0.pb` files of ONNX's test data).
    static func decodeTensor(_ data: Data) throws(ONNXProtobufFailure) -> ONNXTensorProto {
        var options = BinaryDecodingOptions()
        options.messageDepthLimit = messageDepthLimit
        do {
            return tensor(try Onnx_TensorProto(serializedBytes: data, options: options))
        } catch {
            throw ONNXProtobufFailure(message: "\(error)")
        }
    }
}
