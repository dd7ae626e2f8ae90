import Foundation

/// The element types a safetensors header may name (the reference implementation's list,
/// byte-sized types only).
public enum SafetensorsDType: String, Sendable, CaseIterable {
    case BOOL, U8, I8, F8_E5M2, F8_E4M3, F8_E8M0, I16, U16, F16, BF16, I32, U32, F32, F64, I64, U64

    /// Bytes per element.
    public var byteSize: Int {
        switch self {
        case .BOOL, .U8, .I8, .F8_E5M2, .F8_E4M3, .F8_E8M0: 1
        case .I16, .U16, .F16, .BF16: 2
        case .I32, .U32, .F32: 4
        case .F64, .I64, .U64: 8
        }
    }

    /// True for the floating-point types (including the 8-bit float formats).
    public var isFloatingPoint: Bool {
        switch self {
        case .F8_E5M2, .F8_E4M3, .F8_E8M0, .F16, .BF16, .F32, .F64: true
        case .BOOL, .U8, .I8, .I16, .U16, .I32, .U32, .I64, .U64: false
        }
    }
}

/// A safetensors file, memory-mapped and validated on open.
///
/// Opening checks the whole header — every entry's dtype, shape and byte range, and that no
/// two tensors overlap — so later reads cannot run off the data. Tensor data is read lazily
/// from the map; ``tensor(named:)`` copies it into a fresh float32 ``Tensor``.
///
/// Layout: an 8-byte little-endian header size N, N bytes of UTF-8 JSON
/// (`{"name": {"dtype": "F32", "shape": [..], "data_offsets": [begin, end]}, …,
/// "__metadata__": {"k": "v"}}`), then the data buffer that the offsets index.
public struct SafetensorsFile: Sendable {
    /// One tensor's header entry.
    public struct TensorInfo: Sendable, Equatable {
        public let name: String
        public let dtype: SafetensorsDType
        public let shape: [Int]
        /// Byte range within the data buffer (the header's `data_offsets`).
        public let dataOffsets: Range<Int>
        /// Byte range within the whole file (``dataOffsets`` shifted past the header).
        public let fileByteRange: Range<Int>
        /// Number of elements (the product of ``shape``; 1 for a scalar).
        public var elementCount: Int { dataOffsets.count / dtype.byteSize }
        /// Number of bytes of data.
        public var byteCount: Int { dataOffsets.count }
    }

    /// The file this was read from.
    public let url: URL
    /// The string metadata under `"__metadata__"` (empty when absent).
    public let metadata: [String: String]
    private let entries: [TensorInfo]          // in data-offset order
    private let index: [String: Int]
    private let file: MappedFile

    /// Tensor names in the order their data appears in the file.
    public var tensorNames: [String] { entries.map(\.name) }

    /// Every tensor's header entry, in file order.
    public var tensorInfos: [TensorInfo] { entries }

    /// The header entry for `name`, or nil when the file has no such tensor.
    public func info(_ name: String) -> TensorInfo? {
        index[name].map { entries[$0] }
    }

    /// Maps and validates the file at `url`.
    public init(contentsOf url: URL) throws(SafetensorsError) {
        let path = url.displayPath
        let file: MappedFile
        do {
            file = try MappedFile(url: url)
        } catch {
            switch error {
            case .notFound: throw .fileNotFound(path: path)
            case .unreadable(let reason): throw .unreadable(path: path, reason: reason)
            }
        }
        try self.init(file: file, url: url)
    }

    /// Validates the bytes of `file` (mapped or in memory); `url` names it in errors.
    init(file: MappedFile, url: URL) throws(SafetensorsError) {
        let path = url.displayPath
        let bytes = file.bytes
        guard bytes.count >= 8 else { throw .fileTooShort(path: path, byteCount: bytes.count) }
        let headerSize = UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: 0, as: UInt64.self))
        guard headerSize <= UInt64(bytes.count - 8) else {
            throw .headerSizeBeyondFile(path: path, headerSize: headerSize, fileSize: bytes.count)
        }
        let n = Int(headerSize)
        let dataStart = 8 + n
        let dataSize = bytes.count - dataStart
        let headerBytes = UnsafeRawBufferPointer(rebasing: bytes[8..<dataStart])

        let parsed = try Self.parseHeader(headerBytes, path: path, dataSize: dataSize, dataStart: dataStart)
        self.url = url
        self.file = file
        self.metadata = parsed.metadata
        self.entries = parsed.entries
        var index: [String: Int] = [:]
        for (i, e) in parsed.entries.enumerated() { index[e.name] = i }
        self.index = index
    }

    // MARK: Reading tensors

    /// The tensor `name` as float32. F32 is copied; F16 and BF16 are widened exactly.
    /// Integer and boolean tensors throw ``SafetensorsError/integerTensorAsFloat(path:tensor:dtype:)``
    /// (read them with ``int64Values(named:)``).
    public func tensor(named name: String) throws(SafetensorsError) -> Tensor {
        let info = try lookup(name)
        let src = rawBytes(info)
        let out = Tensor(uninitializedShape: info.shape)
        let dst = out.storage.base
        let n = info.elementCount
        switch info.dtype {
        case .F32:
            if n > 0, let s = src.baseAddress {
                UnsafeMutableRawPointer(dst).copyMemory(from: s, byteCount: n * 4)
            }
            #if _endian(big)
            for i in 0..<n { dst[i] = Float(bitPattern: UInt32(littleEndian: dst[i].bitPattern)) }
            #endif
        case .F16:
            for i in 0..<n {
                dst[i] = Self.floatFromHalf(UInt16(littleEndian: src.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self)))
            }
        case .BF16:
            for i in 0..<n {
                let bits = UInt16(littleEndian: src.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self))
                dst[i] = Float(bitPattern: UInt32(bits) << 16)
            }
        case .BOOL, .U8, .I8, .I16, .U16, .I32, .U32, .I64, .U64:
            throw .integerTensorAsFloat(path: url.displayPath, tensor: name, dtype: info.dtype.rawValue)
        case .F8_E5M2, .F8_E4M3, .F8_E8M0, .F64:
            throw .unsupportedDType(path: url.displayPath, tensor: name, dtype: info.dtype.rawValue, wanted: "float32")
        }
        return out
    }

    /// The integer tensor `name`, flattened row-major and widened to Int64.
    /// Reads I64, I32, I16, I8, U32, U16, U8 and BOOL (as 0/1); U64 and float tensors throw.
    public func int64Values(named name: String) throws(SafetensorsError) -> [Int64] {
        let info = try lookup(name)
        let src = rawBytes(info)
        let n = info.elementCount
        func read<T: FixedWidthInteger>(_: T.Type) -> [Int64] {
            (0..<n).map { Int64(T(littleEndian: src.loadUnaligned(fromByteOffset: $0 * MemoryLayout<T>.size, as: T.self))) }
        }
        switch info.dtype {
        case .I64: return read(Int64.self)
        case .I32: return read(Int32.self)
        case .I16: return read(Int16.self)
        case .I8: return read(Int8.self)
        case .U32: return read(UInt32.self)
        case .U16: return read(UInt16.self)
        case .U8: return read(UInt8.self)
        case .BOOL: return (0..<n).map { src[$0] != 0 ? 1 : 0 }
        case .U64:
            throw .unsupportedDType(path: url.displayPath, tensor: name, dtype: info.dtype.rawValue, wanted: "Int64")
        case .F8_E5M2, .F8_E4M3, .F8_E8M0, .F16, .BF16, .F32, .F64:
            throw .floatTensorAsInteger(path: url.displayPath, tensor: name, dtype: info.dtype.rawValue)
        }
    }

    /// Calls `body` with the tensor's raw little-endian bytes, straight from the map.
    public func withUnsafeRawBytes<R>(of name: String, _ body: (UnsafeRawBufferPointer) throws -> R) throws -> R {
        let info = try lookup(name)
        return try withExtendedLifetime(file) { try body(rawBytes(info)) }
    }

    private func rawBytes(_ info: TensorInfo) -> UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(rebasing: file.bytes[info.fileByteRange])
    }

    private func lookup(_ name: String) throws(SafetensorsError) -> TensorInfo {
        if let i = index[name] { return entries[i] }
        throw .unknownTensor(path: url.displayPath, name: name, available: Self.closestNames(to: name, in: entries.map(\.name)),
                             total: entries.count)
    }

    /// Up to five names, those sharing the longest prefix with `name` first, then file order.
    static func closestNames(to name: String, in names: [String], limit: Int = 5) -> [String] {
        let target = Array(name.utf8)
        func shared(_ s: String) -> Int {
            var k = 0
            for (a, b) in zip(s.utf8, target) { guard a == b else { break }; k += 1 }
            return k
        }
        return names.enumerated()
            .map { (shared($0.element), $0.offset, $0.element) }
            .sorted { ($0.0, -$0.1) > ($1.0, -$1.1) }
            .prefix(limit)
            .map(\.2)
    }

    /// IEEE half → float, exactly (including subnormals, infinities and NaN payloads).
    @inline(__always)
    static func floatFromHalf(_ h: UInt16) -> Float {
        let sign = UInt32(h & 0x8000) << 16
        let exp = UInt32(h >> 10) & 0x1F
        let mant = UInt32(h & 0x3FF)
        switch exp {
        case 0:
            let magnitude = Float(mant) * 0x1p-24          // zero or subnormal, exact
            return sign != 0 ? -magnitude : magnitude
        case 0x1F:
            return Float(bitPattern: sign | 0x7F80_0000 | (mant << 13))
        default:
            return Float(bitPattern: sign | ((exp + 112) << 23) | (mant << 13))
        }
    }
}

// MARK: - Header parsing

extension SafetensorsFile {
    struct ParsedHeader {
        var metadata: [String: String]
        var entries: [TensorInfo]
    }

    static func parseHeader(_ header: UnsafeRawBufferPointer, path: String, dataSize: Int, dataStart: Int)
        throws(SafetensorsError) -> ParsedHeader
    {
        let utf8 = header.bindMemory(to: UInt8.self)
        if let bad = firstInvalidUTF8(utf8) { throw .headerNotUTF8(path: path, offset: bad) }
        let json: Any
        do {
            json = try JSONSerialization.jsonObject(with: Data(utf8), options: [.fragmentsAllowed])
        } catch {
            throw .headerNotJSON(path: path, reason: describeJSONError(error))
        }
        guard let object = json as? [String: Any] else {
            throw .headerNotObject(path: path, found: jsonKind(json))
        }
        if let name = firstDuplicateTopLevelKey(utf8) { throw .duplicateHeaderEntry(path: path, name: name) }

        var metadata: [String: String] = [:]
        if let raw = object["__metadata__"] {
            guard let dict = raw as? [String: Any] else {
                throw .invalidMetadata(path: path, reason: "it is a JSON \(jsonKind(raw)), expected an object of strings")
            }
            for (key, rawValue) in dict.sorted(by: { utf8Less($0.key, $1.key) }) {
                guard let value = rawValue as? String else {
                    throw .invalidMetadata(path: path, reason: "the value of \"\(key)\" is a JSON \(jsonKind(rawValue)), expected a string")
                }
                metadata[key] = value
            }
        }

        var entries: [TensorInfo] = []
        entries.reserveCapacity(object.count)
        // Validate in name order so the first error reported does not depend on hashing.
        for (name, raw) in object.sorted(by: { utf8Less($0.key, $1.key) }) where name != "__metadata__" {
            entries.append(try parseEntry(name: name, raw, path: path, dataSize: dataSize, dataStart: dataStart))
        }

        entries.sort { a, b in
            if a.dataOffsets.lowerBound != b.dataOffsets.lowerBound { return a.dataOffsets.lowerBound < b.dataOffsets.lowerBound }
            if a.dataOffsets.upperBound != b.dataOffsets.upperBound { return a.dataOffsets.upperBound < b.dataOffsets.upperBound }
            return utf8Less(a.name, b.name)
        }
        // Empty tensors occupy no bytes and overlap nothing.
        var previous: TensorInfo?
        for e in entries where !e.dataOffsets.isEmpty {
            if let p = previous, e.dataOffsets.lowerBound < p.dataOffsets.upperBound {
                throw .overlappingTensors(path: path, first: p.name, second: e.name)
            }
            if e.dataOffsets.upperBound > previous?.dataOffsets.upperBound ?? 0 { previous = e }
        }
        return ParsedHeader(metadata: metadata, entries: entries)
    }

    static func parseEntry(name: String, _ raw: Any, path: String, dataSize: Int, dataStart: Int)
        throws(SafetensorsError) -> TensorInfo
    {
        guard let entry = raw as? [String: Any] else {
            throw .entryNotObject(path: path, tensor: name, found: jsonKind(raw))
        }
        // dtype
        guard let dtypeRaw = entry["dtype"] else { throw .missingField(path: path, tensor: name, field: "dtype") }
        guard let dtypeName = dtypeRaw as? String else {
            throw .wrongFieldType(path: path, tensor: name, field: "dtype", expected: "a string", found: "a JSON \(jsonKind(dtypeRaw))")
        }
        guard let dtype = SafetensorsDType(rawValue: dtypeName) else {
            throw .unknownDType(path: path, tensor: name, dtype: dtypeName)
        }
        // shape
        guard let shapeRaw = entry["shape"] else { throw .missingField(path: path, tensor: name, field: "shape") }
        guard let shapeArray = shapeRaw as? [Any] else {
            throw .wrongFieldType(path: path, tensor: name, field: "shape", expected: "an array of integers", found: "a JSON \(jsonKind(shapeRaw))")
        }
        var shape: [Int] = []
        shape.reserveCapacity(shapeArray.count)
        for (i, d) in shapeArray.enumerated() {
            guard let v = jsonInteger(d), v >= 0 else {
                throw .invalidShape(path: path, tensor: name, dimension: i, value: jsonText(d))
            }
            shape.append(v)
        }
        // data_offsets
        guard let offsetsRaw = entry["data_offsets"] else { throw .missingField(path: path, tensor: name, field: "data_offsets") }
        let offsetsExpected = "an array of two non-negative integers"
        guard let offsetsArray = offsetsRaw as? [Any] else {
            throw .wrongFieldType(path: path, tensor: name, field: "data_offsets", expected: offsetsExpected, found: "a JSON \(jsonKind(offsetsRaw))")
        }
        guard offsetsArray.count == 2 else {
            throw .wrongFieldType(path: path, tensor: name, field: "data_offsets", expected: offsetsExpected,
                                  found: "an array of \(offsetsArray.count) element\(offsetsArray.count == 1 ? "" : "s")")
        }
        // Unsigned, so that offsets up to 2⁶⁴ - 1 are quoted as written, not saturated.
        guard let rawBegin = jsonUInt64(offsetsArray[0]), let rawEnd = jsonUInt64(offsetsArray[1]) else {
            throw .wrongFieldType(path: path, tensor: name, field: "data_offsets", expected: offsetsExpected,
                                  found: "[\(jsonText(offsetsArray[0])), \(jsonText(offsetsArray[1]))]")
        }
        guard rawBegin <= rawEnd else { throw .offsetsReversed(path: path, tensor: name, begin: rawBegin, end: rawEnd) }
        guard rawEnd <= UInt64(dataSize) else {
            throw .offsetsOutOfRange(path: path, tensor: name, begin: rawBegin, end: rawEnd, dataSize: dataSize)
        }
        let begin = Int(rawBegin), end = Int(rawEnd)
        // Byte count: multiply in order so that Tensor's own element count cannot overflow either.
        var bytes = dtype.byteSize
        var elements = 1
        for d in shape {
            let (e, o1) = elements.multipliedReportingOverflow(by: d)
            let (b, o2) = bytes.multipliedReportingOverflow(by: d)
            guard !o1, !o2 else { throw .shapeTooLarge(path: path, tensor: name, shape: shape) }
            elements = e
            bytes = b
        }
        guard bytes == end - begin else {
            throw .byteCountMismatch(path: path, tensor: name, dtype: dtype.rawValue, shape: shape, expected: bytes, actual: end - begin)
        }
        return TensorInfo(name: name, dtype: dtype, shape: shape, dataOffsets: begin..<end,
                          fileByteRange: (dataStart + begin)..<(dataStart + end))
    }

    /// Byte offset of the first invalid UTF-8 sequence, or nil when the bytes are valid.
    static func firstInvalidUTF8(_ bytes: UnsafeBufferPointer<UInt8>) -> Int? {
        var offset = 0
        var iterator = bytes.makeIterator()
        var decoder = UTF8()
        while true {
            switch decoder.decode(&iterator) {
            case .scalarValue(let s): offset += UTF8.width(s)
            case .emptyInput: return nil
            case .error: return offset
            }
        }
    }

    /// Byte-wise ordering of the UTF-8 encodings (matches Rust's `String` ordering).
    static func utf8Less(_ a: String, _ b: String) -> Bool {
        a.utf8.lexicographicallyPrecedes(b.utf8)
    }
}
