import Foundation

/// A PyTorch checkpoint in the zip format `torch.save` writes since PyTorch 1.6
/// (`<archive>/data.pkl`, `<archive>/data/<key>` storages, `<archive>/byteorder`), read
/// without Python and without running anything it contains.
///
/// Opening checks the archive (member names, duplicates, TorchScript and legacy formats),
/// runs `data.pkl` through ``RestrictedUnpickler`` (an allowlist of opcodes and globals,
/// bounded by ``PyTorchLimits``), finds the state dict and validates every tensor's size,
/// stride and offset against its storage's size. Storage bytes are read only when a tensor
/// is asked for, after all of that has passed. Tensors come back as ``SafetensorsFile``'s do:
/// float32 (float16 and bfloat16 widened exactly), integer tensors through
/// ``int64Values(named:)``; strided views, storage offsets and shared storages are honoured.
public final class PyTorchCheckpoint {
    /// Which state dict to take and how to name its keys.
    public struct Options: Sendable, Equatable {
        /// The top-level key holding the state dict; nil takes `"state_dict"`, then `"model"`,
        /// when the top level has such a dict, else the top level itself.
        public var stateDictKey: String?
        /// A prefix removed from every key that has it (`"module."` from DataParallel).
        public var stripPrefix: String
        public init(stateDictKey: String? = nil, stripPrefix: String = "") {
            self.stateDictKey = stateDictKey
            self.stripPrefix = stripPrefix
        }
    }

    /// One tensor's description.
    public struct TensorInfo: Sendable, Equatable {
        public let name: String
        public let dtype: TorchDType
        public let shape: [Int]
        public let stride: [Int]
        /// Offset into the storage, in elements.
        public let storageOffset: Int
        /// The zip member holding the storage (`archive/data/0`).
        public let storageMember: String
        /// Elements in the tensor (product of ``shape``).
        public var elementCount: Int { shape.reduce(1, *) }
    }

    /// The file this was read from.
    public let url: URL
    /// True when `byteorder` says `big` (values are swapped on read).
    public let isBigEndian: Bool
    private let infos: [TensorInfo]
    private let index: [String: Int]
    private let archive: ZipArchive
    private let members: [String: ZipArchive.Member]
    /// Storages already read, by member name (shared storages are read once).
    private var storageCache: [String: Data] = [:]

    /// Tensor names in the state dict's order.
    public var tensorNames: [String] { infos.map(\.name) }
    /// Every tensor's description, in the state dict's order.
    public var tensorInfos: [TensorInfo] { infos }
    /// The description of `name`, or nil.
    public func info(_ name: String) -> TensorInfo? { index[name].map { infos[$0] } }

    /// Opens and validates the checkpoint at `url`.
    public convenience init(contentsOf url: URL, options: Options = Options(), limits: PyTorchLimits = PyTorchLimits()) throws(PyTorchError) {
        let path = url.displayPath
        let size = try Self.checkRegularFile(url)
        let head = try Self.readHead(url)
        try Self.checkMagic(head, path: path)
        let archive: ZipArchive
        do { archive = try ZipArchive(url: url, byteCount: size, maxMembers: limits.maxMembers) } catch {
            throw Self.zipError(error, path: path)
        }
        try self.init(archive: archive, url: url, options: options, limits: limits)
    }

    /// Validates a checkpoint image held in memory, exactly as ``init(contentsOf:options:limits:)``
    /// (the zip is read from a temporary file, unlinked at once); `url` only names it in errors.
    public convenience init(data: Data, url: URL, options: Options = Options(), limits: PyTorchLimits = PyTorchLimits()) throws(PyTorchError) {
        let path = url.displayPath
        try Self.checkMagic(Array(data.prefix(512)), path: path)
        let archive: ZipArchive
        do { archive = try ZipArchive(data: data, maxMembers: limits.maxMembers) } catch {
            throw Self.zipError(error, path: path)
        }
        try self.init(archive: archive, url: url, options: options, limits: limits)
    }

    private init(archive: ZipArchive, url: URL, options: Options, limits: PyTorchLimits) throws(PyTorchError) {
        let path = url.displayPath
        let layout = try Self.checkLayout(archive, path: path)
        self.url = url
        self.archive = archive
        self.members = layout.members
        self.isBigEndian = try Self.readByteOrder(archive, layout: layout, path: path)
        let pickle = try Self.readMember(archive, layout.members[layout.prefix + "data.pkl"]!, path: path,
                                         limit: UInt64(limits.maxPickleBytes), what: "data.pkl")
        var unpickler = RestrictedUnpickler(bytes: [UInt8](pickle), path: path, limits: limits)
        let root = try unpickler.run()
        let stateDict = try Self.findStateDict(root, key: options.stateDictKey, path: path)
        infos = try Self.tensorInfos(stateDict, options: options, prefix: layout.prefix, members: layout.members,
                                     path: path, limits: limits)
        var index: [String: Int] = [:]
        for (i, t) in infos.enumerated() { index[t.name] = i }
        self.index = index
    }

    // MARK: Reading tensors

    /// The tensor `name` as float32 (float32 copied, float16 and bfloat16 widened exactly).
    public func tensor(named name: String) throws(PyTorchError) -> Tensor {
        let info = try lookup(name)
        switch info.dtype {
        case .float32, .float16, .bfloat16: break
        case .float64: throw .unsupportedDType(path: url.displayPath, tensor: name, dtype: "float64", wanted: "float32")
        default: throw .integerTensorAsFloat(path: url.displayPath, tensor: name, dtype: info.dtype.rawValue)
        }
        let storage = try storageBytes(info)
        let out = Tensor(uninitializedShape: info.shape)
        let dst = out.storage.base
        storage.withUnsafeBytes { (src: UnsafeRawBufferPointer) in
            // The common case (a contiguous little-endian float32 tensor) is one copy.
            if info.dtype == .float32, !isBigEndian, StridedCopy.isContiguous(info), info.elementCount > 0, let base = src.baseAddress {
                UnsafeMutableRawPointer(dst).copyMemory(from: base + 4 * info.storageOffset, byteCount: 4 * info.elementCount)
                return
            }
            StridedCopy.forEach(info) { i, element in
                dst[i] = Self.float(src, element, info.dtype, swap: isBigEndian)
            }
        }
        return out
    }

    /// The integer tensor `name`, flattened row-major and widened to Int64 (int64, int32,
    /// int16, int8, uint8; bool as 0/1). Float tensors throw.
    public func int64Values(named name: String) throws(PyTorchError) -> [Int64] {
        let info = try lookup(name)
        switch info.dtype {
        case .float32, .float16, .bfloat16, .float64:
            throw .floatTensorAsInteger(path: url.displayPath, tensor: name, dtype: info.dtype.rawValue)
        default: break
        }
        let storage = try storageBytes(info)
        var out = [Int64](repeating: 0, count: info.elementCount)
        storage.withUnsafeBytes { (src: UnsafeRawBufferPointer) in
            StridedCopy.forEach(info) { i, element in
                out[i] = Self.integer(src, element, info.dtype, swap: isBigEndian)
            }
        }
        return out
    }

    private func lookup(_ name: String) throws(PyTorchError) -> TensorInfo {
        if let i = index[name] { return infos[i] }
        throw .unknownTensor(path: url.displayPath, name: name,
                             available: SafetensorsFile.closestNames(to: name, in: infos.map(\.name)), total: infos.count)
    }

    private func storageBytes(_ info: TensorInfo) throws(PyTorchError) -> Data {
        if let d = storageCache[info.storageMember] { return d }
        let d = try Self.readMember(archive, members[info.storageMember]!, path: url.displayPath, limit: .max, what: info.storageMember)
        storageCache[info.storageMember] = d
        return d
    }

    /// Forgets the storages read so far (their memory is freed once no tensor needs them).
    public func releaseStorages() { storageCache.removeAll() }

    @inline(__always)
    static func float(_ src: UnsafeRawBufferPointer, _ e: Int, _ dtype: TorchDType, swap: Bool) -> Float {
        switch dtype {
        case .float16:
            let raw = src.loadUnaligned(fromByteOffset: 2 * e, as: UInt16.self)
            return SafetensorsFile.floatFromHalf(swap ? raw.byteSwapped : raw)
        case .bfloat16:
            let raw = src.loadUnaligned(fromByteOffset: 2 * e, as: UInt16.self)
            return Float(bitPattern: UInt32(swap ? raw.byteSwapped : raw) << 16)
        default:
            let raw = src.loadUnaligned(fromByteOffset: 4 * e, as: UInt32.self)
            return Float(bitPattern: swap ? raw.byteSwapped : raw)
        }
    }

    @inline(__always)
    static func integer(_ src: UnsafeRawBufferPointer, _ e: Int, _ dtype: TorchDType, swap: Bool) -> Int64 {
        func load<T: FixedWidthInteger>(_: T.Type) -> T {
            let raw = src.loadUnaligned(fromByteOffset: e * MemoryLayout<T>.size, as: T.self)
            return swap ? raw.byteSwapped : raw
        }
        switch dtype {
        case .int64: return load(Int64.self)
        case .int32: return Int64(load(Int32.self))
        case .int16: return Int64(load(Int16.self))
        case .int8: return Int64(load(Int8.self))
        case .uint8: return Int64(load(UInt8.self))
        default: return load(UInt8.self) != 0 ? 1 : 0
        }
    }
}
