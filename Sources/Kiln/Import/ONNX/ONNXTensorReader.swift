import Foundation

/// Decodes initializers and `Constant` values: raw_data (little-endian), the typed fields
/// (float_data, int32_data, int64_data, double_data), FLOAT16/BFLOAT16 converted to Float,
/// and external data read from a file inside the model's folder.
struct ONNXTensorReader {
    /// The model file (for messages) and its folder (the root external data must stay in).
    let modelURL: URL
    let limits: ONNXImportLimits

    var path: String { modelURL.displayPath }

    func read(_ t: ONNXTensorProto, what: String) throws(ONNXImportError) -> ONNXConstant {
        let label = "\(what) \"\(t.name)\""
        func bad(_ m: String) -> ONNXImportError {
            .invalidTensor(file: path, tensor: label, problem: m)
        }
        guard t.dims.count <= limits.maxRank else {
            throw .limitExceeded(ONNXLocation(file: path), what: "\(label) has rank \(t.dims.count), above Kiln's limit of \(limits.maxRank)",
                                 limit: .maxRank, bound: limits.maxRank, remedy: "export the model with tensors of rank ≤ \(limits.maxRank)")
        }
        var count = 1
        for d in t.dims {
            guard d >= 0, d <= Int64(ShapeInference.dimensionLimit) else { throw bad("dimension \(d) in dims \(t.dims) is negative or too large") }
            let (p, o) = count.multipliedReportingOverflow(by: Int(d))
            guard !o, p <= limits.maxTensorElements else {
                throw .limitExceeded(ONNXLocation(file: path), what: "\(label) with dims \(t.dims) has more than \(limits.maxTensorElements) elements",
                                     limit: .maxTensorElements, bound: limits.maxTensorElements, remedy: "export the model with smaller tensors")
            }
            count = p
        }
        let shape = t.dims.map { Int($0) }
        let type = t.dataType
        let size: Int
        switch type {
        case ONNXDataType.float, ONNXDataType.int32: size = 4
        case ONNXDataType.int64, ONNXDataType.double: size = 8
        case ONNXDataType.float16, 16: size = 2
        case ONNXDataType.uint8, ONNXDataType.int8, ONNXDataType.bool: size = 1
        default: throw bad("element type \(ONNXDataType.name(type)) is not supported (Kiln reads FLOAT, FLOAT16, BFLOAT16, DOUBLE and integer types)")
        }
        var raw = t.rawData
        if let external = t.externalData { raw = try readExternal(external, bytes: count * size, label: label) }
        if let raw {
            guard raw.count == count * size else { throw bad("raw_data holds \(raw.count) bytes, dims \(t.dims) of \(ONNXDataType.name(type)) need \(count * size)") }
            return Self.decodeRaw(raw, type: type, shape: shape, count: count)
        }
        func check(_ n: Int, _ field: String) throws(ONNXImportError) {
            guard n == count else { throw bad("\(field) holds \(n) values, dims \(t.dims) need \(count)") }
        }
        switch type {
        case ONNXDataType.float:
            try check(t.floatData.count, "float_data")
            return ONNXConstant(shape: shape, floats: t.floatData)
        case ONNXDataType.double:
            try check(t.doubleData.count, "double_data")
            return ONNXConstant(shape: shape, floats: t.doubleData.map { Float($0) })
        case ONNXDataType.int64:
            try check(t.int64Data.count, "int64_data")
            return ONNXConstant(shape: shape, ints: t.int64Data)
        case ONNXDataType.float16, 16:
            // Half-precision values travel as bit patterns in int32_data.
            try check(t.int32Data.count, "int32_data")
            return ONNXConstant(shape: shape, floats: t.int32Data.map { Self.half(UInt16(truncatingIfNeeded: $0), bf16: type == 16) })
        default:
            try check(t.int32Data.count, "int32_data")
            return ONNXConstant(shape: shape, ints: t.int32Data.map { Int64($0) })
        }
    }

    static func half(_ bits: UInt16, bf16: Bool) -> Float {
        bf16 ? Float(bitPattern: UInt32(bits) << 16) : Float(Float16(bitPattern: bits))
    }

    static func decodeRaw(_ raw: Data, type: Int32, shape: [Int], count: Int) -> ONNXConstant {
        raw.withUnsafeBytes { b in
            switch type {
            case ONNXDataType.float:
                return ONNXConstant(shape: shape, floats: (0..<count).map { Float(bitPattern: UInt32(littleEndian: b.loadUnaligned(fromByteOffset: 4 * $0, as: UInt32.self))) })
            case ONNXDataType.double:
                return ONNXConstant(shape: shape, floats: (0..<count).map { Float(Double(bitPattern: UInt64(littleEndian: b.loadUnaligned(fromByteOffset: 8 * $0, as: UInt64.self)))) })
            case ONNXDataType.float16, 16:
                return ONNXConstant(shape: shape, floats: (0..<count).map { half(UInt16(littleEndian: b.loadUnaligned(fromByteOffset: 2 * $0, as: UInt16.self)), bf16: type == 16) })
            case ONNXDataType.int64:
                return ONNXConstant(shape: shape, ints: (0..<count).map { Int64(littleEndian: b.loadUnaligned(fromByteOffset: 8 * $0, as: Int64.self)) })
            case ONNXDataType.int32:
                return ONNXConstant(shape: shape, ints: (0..<count).map { Int64(Int32(littleEndian: b.loadUnaligned(fromByteOffset: 4 * $0, as: Int32.self))) })
            case ONNXDataType.int8:
                return ONNXConstant(shape: shape, ints: (0..<count).map { Int64(Int8(bitPattern: b[$0])) })
            default:
                return ONNXConstant(shape: shape, ints: (0..<count).map { Int64(b[$0]) })
            }
        }
    }

    /// The bytes of external data: `location` relative to the model's folder (no absolute
    /// path, no `..`, no symlink leading out), `offset` + `length` inside the file.
    func readExternal(_ info: [String: String], bytes: Int, label: String) throws(ONNXImportError) -> Data {
        let location = info["location"] ?? ""
        func refuse(_ m: String, fix: String = "store the external data file in the model's folder and name it by a relative path (onnx.save_model(..., save_as_external_data=True, location=\"weights.bin\"))") -> ONNXImportError {
            .externalData(file: path, tensor: label, location: location, problem: m, remedy: fix)
        }
        guard !location.isEmpty else { throw refuse("is empty") }
        guard !location.hasPrefix("/"), !location.hasPrefix("~") else { throw refuse("is an absolute path; Kiln reads external data only from the model's folder") }
        let parts = location.split(separator: "/", omittingEmptySubsequences: true)
        guard !parts.contains(".."), !location.contains("\0"), !location.contains("\\") else {
            throw refuse("leaves the model's folder (it contains \"..\")")
        }
        let folder = modelURL.deletingLastPathComponent().resolvingSymlinksInPath().standardizedFileURL
        let file = folder.appendingPathComponent(location).resolvingSymlinksInPath().standardizedFileURL
        guard file.path.hasPrefix(folder.path.hasSuffix("/") ? folder.path : folder.path + "/") else {
            throw refuse("resolves to \(file.path), outside the model's folder \(folder.path) (a symbolic link)")
        }
        func number(_ key: String) throws(ONNXImportError) -> Int? {
            guard let s = info[key] else { return nil }
            guard let n = Int(s), n >= 0 else { throw refuse("has \(key) \"\(s)\", which is not a size ≥ 0") }
            return n
        }
        let offset = try number("offset") ?? 0
        let length = try number("length")
        let mapped: MappedFile
        do {
            mapped = try MappedFile(url: file)
        } catch {
            throw refuse(error == .notFound ? "does not exist" : "cannot be read (\(error))",
                         fix: "put the external data file next to the model, as it was saved")
        }
        let want = length ?? (mapped.count - Swift.min(offset, mapped.count))
        guard want == bytes else { throw refuse("gives \(want) bytes (length), the tensor needs \(bytes)") }
        guard offset <= mapped.count, want <= mapped.count - offset else {
            throw refuse("asks for bytes \(offset)..<\(offset + want), but the file has \(mapped.count)",
                         fix: "the external data file is truncated or not this model's: copy it again with the model")
        }
        guard want > 0 else { return Data() }
        return Data(bytes: mapped.bytes.baseAddress! + offset, count: want)
    }
}
