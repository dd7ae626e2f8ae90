/// One argument of a node (the schema's `Argument` union), in the forms CNN graphs use;
/// anything else decodes as ``other`` and is refused by the operator that meets it.
enum PT2Argument: Decodable, Equatable {
    case none
    case tensor(String)
    case tensors([String])
    case optionalTensors([String?])
    case int(Int)
    case ints([Int])
    case float(Double)
    case floats([Double])
    case bool(Bool)
    case bools([Bool])
    case string(String)
    /// An integer known at run time: a symbol's value (`sym_size`) or a number.
    case symInt(PT2SymIntArgument)
    case symInts([PT2SymIntArgument])
    /// Another union field, by name (`as_graph`, `as_custom_obj`, …).
    case other(String)

    private struct Named: Decodable { var name: String }

    init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: PT2UnionKey.self)
        let key = try PT2UnionKey.single(c, decoder)
        switch key.stringValue {
        case "as_none": self = .none
        case "as_tensor": self = .tensor(try c.decode(Named.self, forKey: key).name)
        case "as_tensors": self = .tensors(try c.decode([Named].self, forKey: key).map(\.name))
        case "as_optional_tensors": self = .optionalTensors(try c.decode([PT2OptionalTensor].self, forKey: key).map(\.name))
        case "as_optional_tensor": self = try c.decode(PT2OptionalTensor.self, forKey: key).name.map { .tensor($0) } ?? .none
        case "as_int": self = .int(try c.decode(Int.self, forKey: key))
        case "as_ints": self = .ints(try c.decode([Int].self, forKey: key))
        case "as_float": self = .float(try c.decode(Double.self, forKey: key))
        case "as_floats": self = .floats(try c.decode([Double].self, forKey: key))
        case "as_bool": self = .bool(try c.decode(Bool.self, forKey: key))
        case "as_bools": self = .bools(try c.decode([Bool].self, forKey: key))
        case "as_string": self = .string(try c.decode(String.self, forKey: key))
        case "as_sym_int": self = .symInt(try c.decode(PT2SymIntArgument.self, forKey: key))
        case "as_sym_ints": self = .symInts(try c.decode([PT2SymIntArgument].self, forKey: key))
        default: self = .other(key.stringValue)
        }
    }

    /// How the argument is written in messages: `as_ints [1, 1]`.
    var summary: String {
        switch self {
        case .none: "None"
        case .tensor(let n): "tensor %\(n)"
        case .tensors(let n): "tensors \(n.map { "%" + $0 })"
        case .optionalTensors(let n): "tensors \(n.map { $0.map { "%" + $0 } ?? "None" })"
        case .int(let v): "\(v)"
        case .ints(let v): "\(v)"
        case .float(let v): "\(v)"
        case .floats(let v): "\(v)"
        case .bool(let v): v ? "True" : "False"
        case .bools(let v): "\(v)"
        case .string(let s): "\"\(s)\""
        case .symInt(let s): s.summary
        case .symInts(let s): "[" + s.map(\.summary).joined(separator: ", ") + "]"
        case .other(let k): "a value of kind \(k)"
        }
    }
}

/// `SymIntArgument`: the name of a symbolic integer computed by the graph, or a number.
enum PT2SymIntArgument: Decodable, Equatable {
    case name(String)
    case int(Int)

    init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: PT2UnionKey.self)
        let key = try PT2UnionKey.single(c, decoder)
        switch key.stringValue {
        case "as_name": self = .name(try c.decode(String.self, forKey: key))
        case "as_int": self = .int(try c.decode(Int.self, forKey: key))
        default:
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "a SymIntArgument of kind \(key.stringValue)"))
        }
    }

    var summary: String {
        switch self {
        case .name(let n): "%\(n)"
        case .int(let v): "\(v)"
        }
    }
}

/// `OptionalTensorArgument`: a tensor or None.
struct PT2OptionalTensor: Decodable {
    var name: String?
    private struct Named: Decodable { var name: String }

    init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: PT2UnionKey.self)
        let key = try PT2UnionKey.single(c, decoder)
        name = key.stringValue == "as_tensor" ? try c.decode(Named.self, forKey: key).name : nil
    }
}
