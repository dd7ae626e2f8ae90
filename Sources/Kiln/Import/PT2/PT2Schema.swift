/// The part of PyTorch's export serialization schema (`torch/_export/serde/schema.py`, major
/// version 8) that a CNN's `models/<name>.json` uses. Unknown keys are ignored; a value of an
/// unexpected form fails decoding, reported as a malformed archive.
struct PT2Model: Decodable {
    var graphModule: PT2GraphModule
    var schemaVersion: PT2SchemaVersion
    var rangeConstraints: [String: PT2RangeConstraint]
    var torchVersion: String?

    enum CodingKeys: String, CodingKey {
        case graphModule = "graph_module", schemaVersion = "schema_version"
        case rangeConstraints = "range_constraints", torchVersion = "torch_version"
    }
}

/// `schema_version`: `{"major": 8, "minor": 20}`.
public struct PT2SchemaVersion: Decodable, Hashable, Sendable, CustomStringConvertible {
    public var major: Int
    public var minor: Int
    public var description: String { "\(major).\(minor)" }
}

/// A symbol's range; nil bounds are unbounded (`int_oo`).
struct PT2RangeConstraint: Decodable {
    var minVal: Int?
    var maxVal: Int?
    enum CodingKeys: String, CodingKey { case minVal = "min_val", maxVal = "max_val" }
}

struct PT2GraphModule: Decodable {
    var graph: PT2Graph
    var signature: PT2Signature
}

struct PT2Graph: Decodable {
    var inputs: [PT2Argument]
    var outputs: [PT2Argument]
    var nodes: [PT2Node]
    var tensorValues: [String: PT2TensorMeta]

    enum CodingKeys: String, CodingKey { case inputs, outputs, nodes, tensorValues = "tensor_values" }
}

/// One FX node: `target` is the operator (`torch.ops.aten.conv2d.default`, `_operator.getitem`).
struct PT2Node: Decodable {
    var target: String
    var inputs: [PT2NamedArgument]
    var outputs: [PT2Argument]
    var name: String?
}

/// An argument with its name from the operator's schema (positional and keyword alike).
struct PT2NamedArgument: Decodable {
    var name: String
    var arg: PT2Argument
}

/// A tensor's dtype, sizes, strides and offset (`TensorMeta`).
struct PT2TensorMeta: Decodable {
    var dtype: Int
    var sizes: [PT2SymInt]
    var strides: [PT2SymInt]?
    var storageOffset: PT2SymInt?
    var layout: Int?

    enum CodingKeys: String, CodingKey { case dtype, sizes, strides, storageOffset = "storage_offset", layout }
}

/// `SymInt`: a number, or an expression over the program's symbols (`s77`,
/// `Symbol('s77', positive=True, integer=True)`, `2*s77`).
enum PT2SymInt: Decodable, Equatable {
    case int(Int)
    case expr(String)

    init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: PT2UnionKey.self)
        if let v = try c.decodeIfPresent(Int.self, forKey: PT2UnionKey("as_int")) { self = .int(v); return }
        if let e = try c.decodeIfPresent(PT2SymExpr.self, forKey: PT2UnionKey("as_expr")) { self = .expr(e.exprStr); return }
        throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "a SymInt is neither as_int nor as_expr"))
    }

    /// The symbol's name when the expression is a bare symbol.
    var symbol: String? {
        guard case .expr(let s) = self else { return nil }
        var text = Substring(s)
        if text.hasPrefix("Symbol('") {
            text = text.dropFirst("Symbol('".count)
            guard let end = text.firstIndex(of: "'") else { return nil }
            text = text[..<end]
        }
        guard let first = text.first, first.isLetter || first == "_",
              text.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_") }) else { return nil }
        return String(text)
    }
}

struct PT2SymExpr: Decodable {
    var exprStr: String
    enum CodingKeys: String, CodingKey { case exprStr = "expr_str" }
}

/// The graph's signature: which placeholders are parameters, buffers, constants or user inputs.
struct PT2Signature: Decodable {
    var inputSpecs: [PT2InputSpec]
    var outputSpecs: [PT2OutputSpec]
    enum CodingKeys: String, CodingKey { case inputSpecs = "input_specs", outputSpecs = "output_specs" }
}

enum PT2InputSpec: Decodable {
    /// A placeholder holding a parameter, buffer or tensor constant: its name and the
    /// state-dict (or constants) key.
    case parameter(placeholder: String, target: String)
    case buffer(placeholder: String, target: String)
    case tensorConstant(placeholder: String, target: String)
    case userInput(placeholder: String)
    /// Any other kind (custom objects, tokens, non-tensor constants), named for the error.
    case other(String)

    private struct Named: Decodable { var name: String }
    private struct Param: Decodable { var arg: Named; var parameter_name: String }
    private struct Buffer: Decodable { var arg: Named; var buffer_name: String }
    private struct Const: Decodable { var arg: Named; var tensor_constant_name: String }
    private struct User: Decodable { var arg: PT2Argument }

    init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: PT2UnionKey.self)
        let key = try PT2UnionKey.single(c, decoder)
        switch key.stringValue {
        case "parameter": let p = try c.decode(Param.self, forKey: key); self = .parameter(placeholder: p.arg.name, target: p.parameter_name)
        case "buffer": let b = try c.decode(Buffer.self, forKey: key); self = .buffer(placeholder: b.arg.name, target: b.buffer_name)
        case "tensor_constant":
            let t = try c.decode(Const.self, forKey: key); self = .tensorConstant(placeholder: t.arg.name, target: t.tensor_constant_name)
        case "user_input":
            let u = try c.decode(User.self, forKey: key)
            guard case .tensor(let name) = u.arg else { self = .other("user_input of a non-tensor argument"); return }
            self = .userInput(placeholder: name)
        default: self = .other(key.stringValue)
        }
    }
}

enum PT2OutputSpec: Decodable {
    case userOutput(PT2Argument)
    case other(String)

    private struct User: Decodable { var arg: PT2Argument }

    init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: PT2UnionKey.self)
        let key = try PT2UnionKey.single(c, decoder)
        self = key.stringValue == "user_output" ? .userOutput(try c.decode(User.self, forKey: key).arg) : .other(key.stringValue)
    }
}

/// The key of a one-of union (`{"as_tensor": …}`): PyTorch writes exactly one.
struct PT2UnionKey: CodingKey {
    var stringValue: String
    var intValue: Int? { nil }
    init(_ s: String) { stringValue = s }
    init?(stringValue: String) { self.stringValue = stringValue }
    init?(intValue: Int) { nil }

    static func single(_ c: KeyedDecodingContainer<PT2UnionKey>, _ decoder: Decoder) throws -> PT2UnionKey {
        guard c.allKeys.count == 1, let key = c.allKeys.first else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath,
                                                    debugDescription: "a union with \(c.allKeys.count) fields (\(c.allKeys.map(\.stringValue).sorted().joined(separator: ", "))), not one"))
        }
        return key
    }
}
