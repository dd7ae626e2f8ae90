/// Everything that can go wrong reading or writing a safetensors file. Each malformed
/// layout is its own case; every description names the file and, where there is one,
/// the tensor.
public enum SafetensorsError: KilnError, Equatable, Sendable {
    // MARK: Opening the file
    /// No file at the path.
    case fileNotFound(path: String)
    /// The path exists but cannot be opened or mapped (permissions, a directory, …).
    case unreadable(path: String, reason: String)
    /// Empty, or shorter than the 8-byte header-size field.
    case fileTooShort(path: String, byteCount: Int)
    /// The header-size field claims more bytes than follow it.
    case headerSizeBeyondFile(path: String, headerSize: UInt64, fileSize: Int)

    // MARK: The JSON header
    /// The header bytes are not valid UTF-8; `offset` is the first bad byte within the header.
    case headerNotUTF8(path: String, offset: Int)
    /// The header is UTF-8 but does not parse as JSON.
    case headerNotJSON(path: String, reason: String)
    /// The header is JSON but not an object (`found` names the JSON type).
    case headerNotObject(path: String, found: String)
    /// `__metadata__` is not an object of string values.
    case invalidMetadata(path: String, reason: String)
    /// The header names a tensor (or `__metadata__`) twice; JSON readers would keep one silently.
    case duplicateHeaderEntry(path: String, name: String)
    /// A tensor's entry is not a JSON object.
    case entryNotObject(path: String, tensor: String, found: String)
    /// A tensor's entry lacks `dtype`, `shape` or `data_offsets`.
    case missingField(path: String, tensor: String, field: String)
    /// A field has the wrong JSON type (e.g. `shape` is a string, `data_offsets` has three numbers).
    case wrongFieldType(path: String, tensor: String, field: String, expected: String, found: String)
    /// `dtype` is not a safetensors dtype name.
    case unknownDType(path: String, tensor: String, dtype: String)
    /// A dimension of `shape` is negative or not an integer; `value` is its JSON text.
    case invalidShape(path: String, tensor: String, dimension: Int, value: String)
    /// The shape's byte size overflows a 64-bit integer.
    case shapeTooLarge(path: String, tensor: String, shape: [Int])
    /// `data_offsets` reach past the end of the data buffer (`dataSize` bytes).
    case offsetsOutOfRange(path: String, tensor: String, begin: UInt64, end: UInt64, dataSize: Int)
    /// `data_offsets` has begin > end.
    case offsetsReversed(path: String, tensor: String, begin: UInt64, end: UInt64)
    /// Two tensors' byte ranges overlap.
    case overlappingTensors(path: String, first: String, second: String)
    /// `data_offsets` span a different number of bytes than shape × dtype size.
    case byteCountMismatch(path: String, tensor: String, dtype: String, shape: [Int], expected: Int, actual: Int)

    // MARK: Asking for tensors
    /// No tensor has this name; `available` lists a few that do (closest first).
    case unknownTensor(path: String, name: String, available: [String], total: Int)
    /// An integer or boolean tensor was requested as float.
    case integerTensorAsFloat(path: String, tensor: String, dtype: String)
    /// A floating-point tensor was requested as integers.
    case floatTensorAsInteger(path: String, tensor: String, dtype: String)
    /// A valid dtype Kiln does not convert (e.g. F64 or F8 to float32, U64 to Int64).
    case unsupportedDType(path: String, tensor: String, dtype: String, wanted: String)

    // MARK: Writing
    /// Two tensors passed to `Safetensors.write` share a name.
    case duplicateTensorName(path: String, name: String)
    /// A tensor passed to `Safetensors.write` is named `__metadata__`.
    case reservedTensorName(path: String, name: String)
    /// Creating, writing or renaming the output failed.
    case writeFailed(path: String, reason: String)

    public var failureClass: FailureClass {
        switch self {
        case .writeFailed: .output
        default: .badInput
        }
    }

    /// The file the error concerns.
    public var path: String {
        switch self {
        case .fileNotFound(let p), .unreadable(let p, _), .fileTooShort(let p, _), .headerSizeBeyondFile(let p, _, _),
             .headerNotUTF8(let p, _), .headerNotJSON(let p, _), .headerNotObject(let p, _), .invalidMetadata(let p, _),
             .duplicateHeaderEntry(let p, _),
             .entryNotObject(let p, _, _), .missingField(let p, _, _), .wrongFieldType(let p, _, _, _, _),
             .unknownDType(let p, _, _), .invalidShape(let p, _, _, _), .shapeTooLarge(let p, _, _),
             .offsetsOutOfRange(let p, _, _, _, _), .offsetsReversed(let p, _, _, _), .overlappingTensors(let p, _, _),
             .byteCountMismatch(let p, _, _, _, _, _), .unknownTensor(let p, _, _, _), .integerTensorAsFloat(let p, _, _),
             .floatTensorAsInteger(let p, _, _), .unsupportedDType(let p, _, _, _), .duplicateTensorName(let p, _),
             .reservedTensorName(let p, _), .writeFailed(let p, _):
            return p
        }
    }

    public var description: String {
        switch self {
        case let .fileNotFound(p):
            return "safetensors file not found: \(p)"
        case let .unreadable(p, reason):
            return "cannot read safetensors file \(p): \(reason)"
        case let .fileTooShort(p, n):
            return n == 0
                ? "\(p) is empty, so it is not a safetensors file (which starts with an 8-byte header size)"
                : "\(p) is \(n) byte\(n == 1 ? "" : "s") long, too short for a safetensors file (which starts with an 8-byte header size)"
        case let .headerSizeBeyondFile(p, n, size):
            return "\(p): the safetensors header size is \(n) bytes but only \(max(size - 8, 0)) bytes follow the size field"
        case let .headerNotUTF8(p, offset):
            return "\(p): the safetensors header is not valid UTF-8 (bad byte at header offset \(offset))"
        case let .headerNotJSON(p, reason):
            return "\(p): the safetensors header is not valid JSON: \(reason)"
        case let .headerNotObject(p, found):
            return "\(p): the safetensors header is a JSON \(found), expected an object mapping tensor names to entries"
        case let .invalidMetadata(p, reason):
            return "\(p): invalid \"__metadata__\" in the safetensors header: \(reason)"
        case let .duplicateHeaderEntry(p, name):
            return "\(p): the safetensors header names \"\(name)\" twice (JSON readers would silently keep one of them)"
        case let .entryNotObject(p, t, found):
            return "\(p): tensor \"\(t)\": its header entry is a JSON \(found), expected an object with dtype, shape and data_offsets"
        case let .missingField(p, t, field):
            return "\(p): tensor \"\(t)\": header entry has no \"\(field)\""
        case let .wrongFieldType(p, t, field, expected, found):
            return "\(p): tensor \"\(t)\": \"\(field)\" is \(found), expected \(expected)"
        case let .unknownDType(p, t, dtype):
            return "\(p): tensor \"\(t)\": unknown dtype \"\(dtype)\""
        case let .invalidShape(p, t, dim, value):
            return "\(p): tensor \"\(t)\": dimension \(dim) of the shape is \(value); dimensions must be non-negative integers"
        case let .shapeTooLarge(p, t, shape):
            return "\(p): tensor \"\(t)\": shape \(shape) is too large (its byte size overflows 64 bits)"
        case let .offsetsOutOfRange(p, t, b, e, size):
            return "\(p): tensor \"\(t)\": data_offsets [\(b), \(e)] lie outside the \(size)-byte data buffer"
        case let .offsetsReversed(p, t, b, e):
            return "\(p): tensor \"\(t)\": data_offsets [\(b), \(e)] begin after they end"
        case let .overlappingTensors(p, a, b):
            return "\(p): tensors \"\(a)\" and \"\(b)\" overlap in the data buffer"
        case let .byteCountMismatch(p, t, dtype, shape, expected, actual):
            return "\(p): tensor \"\(t)\": \(dtype) shape \(shape) needs \(expected) bytes but data_offsets span \(actual)"
        case let .unknownTensor(p, name, available, total):
            let some = available.map { "\"\($0)\"" }.joined(separator: ", ")
            if total == 0 { return "\(p) has no tensor named \"\(name)\" (the file holds no tensors)" }
            let more = total > available.count ? ", …" : ""
            return "\(p) has no tensor named \"\(name)\" (\(total) tensor\(total == 1 ? "" : "s"), e.g. \(some)\(more))"
        case let .integerTensorAsFloat(p, t, dtype):
            return "\(p): tensor \"\(t)\" is an integer tensor (\(dtype)), not floating point"
        case let .floatTensorAsInteger(p, t, dtype):
            return "\(p): tensor \"\(t)\" is a floating-point tensor (\(dtype)), not integer"
        case let .unsupportedDType(p, t, dtype, wanted):
            return "\(p): tensor \"\(t)\" has dtype \(dtype), which Kiln does not convert to \(wanted)"
        case let .duplicateTensorName(p, name):
            return "cannot write \(p): two tensors are named \"\(name)\""
        case let .reservedTensorName(p, name):
            return "cannot write \(p): \"\(name)\" is reserved for metadata and cannot name a tensor"
        case let .writeFailed(p, reason):
            return "cannot write safetensors file \(p): \(reason)"
        }
    }

    /// The remedies as data: the CLI spells "read it as integers" as picking another tensor.
    public var fixes: [Fix] {
        switch self {
        case let .integerTensorAsFloat(_, t, _): [.integerTensor(name: t)]
        case let .floatTensorAsInteger(_, t, _): [.floatTensor(name: t)]
        default: []
        }
    }

    public var suggestion: String? {
        switch self {
        case .fileNotFound:
            return "Suggested fix: check the path (relative paths resolve against the current directory)."
        case .unreadable:
            return "Suggested fix: check that the path is a regular file you have permission to read."
        case .fileTooShort, .headerSizeBeyondFile:
            return "Suggested fix: the file is truncated or is not a safetensors file; export or download it again."
        case .headerNotUTF8, .headerNotJSON, .headerNotObject, .invalidMetadata, .duplicateHeaderEntry, .entryNotObject, .missingField,
             .wrongFieldType, .invalidShape, .shapeTooLarge, .offsetsOutOfRange, .offsetsReversed,
             .overlappingTensors, .byteCountMismatch:
            return "Suggested fix: the file is corrupt or was written by a non-conforming tool; re-export it with the safetensors library (safetensors.torch.save_file)."
        case .unknownDType:
            return "Suggested fix: Kiln reads the dtypes BOOL, U8, I8, U16, I16, U32, I32, U64, I64, F8_E5M2, F8_E4M3, F8_E8M0, F16, BF16, F32, F64; convert the tensor to F32 before exporting."
        case let .unknownTensor(_, _, available, _):
            return available.isEmpty ? nil : "Suggested fix: use one of the names in the file, e.g. \"\(available[0])\"."
        case .integerTensorAsFloat:
            return "Suggested fix: read it with int64Values(named:) instead of tensor(named:)."
        case .floatTensorAsInteger:
            return "Suggested fix: read it with tensor(named:) instead of int64Values(named:)."
        case let .unsupportedDType(_, _, _, wanted):
            return wanted == "Int64"
                ? "Suggested fix: convert the tensor to I64 before exporting."
                : "Suggested fix: convert the tensor to F32, F16 or BF16 before exporting (e.g. tensor.float() in PyTorch)."
        case .duplicateTensorName, .reservedTensorName:
            return "Suggested fix: give every tensor a distinct name other than \"__metadata__\"."
        case .writeFailed:
            return "Suggested fix: check that the directory exists, is writable and has free space."
        }
    }
}
