import Foundation

/// `data/weights/<model>_weights_config.json` (and the constants' twin): state-dict key →
/// the file holding its storage's raw bytes and the tensor's dtype, sizes, strides, offset.
struct PT2PayloadConfig: Decodable {
    var config: [String: PT2PayloadMeta]
}

struct PT2PayloadMeta: Decodable {
    var pathName: String
    var usePickle: Bool
    var tensorMeta: PT2TensorMeta?
    enum CodingKeys: String, CodingKey { case pathName = "path_name", usePickle = "use_pickle", tensorMeta = "tensor_meta" }
}

/// Reads the weights and tensor constants of a program as float32 tensors: raw little- (or
/// big-) endian storages viewed through the recorded sizes, strides and offset, every
/// geometry checked against the storage file before a byte is copied.
final class PT2Weights {
    let archive: PT2Archive
    let weights: [String: PT2PayloadMeta]
    let constants: [String: PT2PayloadMeta]
    let isBigEndian: Bool
    private var bytesRead: UInt64 = 0
    private var storages: [String: Data] = [:]
    var path: String { archive.path }

    init(_ archive: PT2Archive, model: String) throws(PT2ImportError) {
        self.archive = archive
        if archive.member("data/weights/\(model).pt") != nil {
            throw PT2ImportError(.invalidWeight, "\(archive.path): the weights are one pickled file (\(archive.prefix)data/weights/\(model).pt, torch.export's legacy format); Kiln never unpickles a program's weights",
                                 fix: "save the program again with a current torch: torch.export.save(torch.export.load(\"old.pt2\"), \"model.pt2\")")
        }
        weights = try PT2JSON.decode(PT2PayloadConfig.self, member: "data/weights/\(model)_weights_config.json", from: archive, what: "weights config").config
        let constantsMember = "data/constants/\(model)_constants_config.json"
        constants = archive.member(constantsMember) == nil ? [:]
            : try PT2JSON.decode(PT2PayloadConfig.self, member: constantsMember, from: archive, what: "constants config").config
        switch try archive.text("byteorder") {
        case nil, "little": isBigEndian = false
        case "big": isBigEndian = true
        case let other?:
            throw PT2ImportError(.malformed, "\(archive.path): \(archive.prefix)byteorder says \"\(other.prefix(16))\", not little or big",
                                 fix: "write the archive again with torch.export.save")
        }
    }

    /// The float32 tensor of state-dict key `key` (a constant's key when `constant`), whose
    /// sizes must be `expected` (the graph's placeholder).
    func tensor(_ key: String, constant: Bool, expected: [Int]) throws(PT2ImportError) -> Tensor {
        let folder = constant ? "data/constants/" : "data/weights/"
        let what = constant ? "tensor constant" : "weight"
        guard let meta = (constant ? constants : weights)[key] else {
            throw invalid("the \(what) \"\(key)\" is not in \(archive.prefix)\(folder)…_config.json", fix: "write the archive again with torch.export.save")
        }
        guard !meta.usePickle else {
            throw invalid("the \(what) \"\(key)\" is pickled (use_pickle: true, \(archive.prefix)\(folder)\(meta.pathName)); Kiln never unpickles a program's weights",
                          fix: "export the model with plain torch.Tensor parameters (no tensor subclasses, e.g. no quantized or DTensor weights), then torch.export.save it again")
        }
        guard let tm = meta.tensorMeta else { throw invalid("the \(what) \"\(key)\" has no tensor_meta", fix: "write the archive again with torch.export.save") }
        let name = meta.pathName
        guard !name.isEmpty, !name.contains("/"), !name.contains("\\"), name != ".", name != ".." else {
            throw invalid("the \(what) \"\(key)\" names the file \"\(name)\", which is not a plain name in \(archive.prefix)\(folder)",
                          fix: "write the archive with torch.export.save; Kiln reads weights only from the archive's own folder")
        }
        let dtype: TorchDType
        switch tm.dtype {
        case 7: dtype = .float32
        case 6: dtype = .float16
        case 13: dtype = .bfloat16
        default:
            throw invalid("the \(what) \"\(key)\" has dtype \(Self.dtypeName(tm.dtype)); Kiln reads float32, float16 and bfloat16 weights",
                          fix: "convert the model to float32 before exporting (model.float())")
        }
        guard tm.layout == nil || tm.layout == 7 else {
            throw invalid("the \(what) \"\(key)\" is not a strided (dense) tensor (layout \(tm.layout!))", fix: "export dense weights (tensor.to_dense())")
        }
        let shape = try ints(tm.sizes, key, "sizes")
        let strides = try ints(tm.strides ?? [], key, "strides")
        let offset = try ints(tm.storageOffset.map { [$0] } ?? [.int(0)], key, "storage_offset")[0]
        guard shape.count == strides.count, shape.count <= archive.limits.maxRank else {
            throw invalid("the \(what) \"\(key)\" has sizes \(shape) and strides \(strides) (rank at most \(archive.limits.maxRank), one stride per size)",
                          fix: "write the archive again with torch.export.save")
        }
        guard shape == expected else {
            throw invalid("the \(what) \"\(key)\" has sizes \(shape), but the graph uses it as \(expected)", fix: "write the archive again with torch.export.save")
        }
        let member = folder + name
        guard let m = archive.member(member) else { throw invalid("the \(what) \"\(key)\" is stored in \(archive.prefix)\(member), which is missing", fix: "write the archive again with torch.export.save") }
        let ref = TorchTensorRef(storage: TorchStorageRef(key: name, dtype: dtype, location: "cpu", elementCount: Int(m.uncompressedSize) / dtype.byteSize),
                                 offset: offset, shape: shape, stride: strides)
        let count: Int
        do { count = try PyTorchCheckpoint.checkGeometry(ref, tensor: key, member: archive.prefix + member, path: path) } catch {
            throw invalid(error.description.replacingOccurrences(of: "\(path): ", with: ""), fix: "write the archive again with torch.export.save")
        }
        guard count <= archive.limits.maxTensorElements, count > 0 else {
            throw PT2ImportError(count > 0 ? .limitExceeded : .invalidWeight,
                                 "\(path): the \(what) \"\(key)\" has \(count) elements (Kiln reads 1…\(archive.limits.maxTensorElements))",
                                 fix: "pass PT2ImportLimits with a larger maxTensorElements if the file is trusted")
        }
        bytesRead += UInt64(count) * 4
        guard bytesRead <= archive.limits.maxWeightBytes else {
            throw PT2ImportError(.limitExceeded, "\(path): the weights need more than \(archive.limits.maxWeightBytes) bytes once read as float32",
                                 fix: "pass PT2ImportLimits with a larger maxWeightBytes if the file is trusted")
        }
        let storage = try storageBytes(member)
        let info = PyTorchCheckpoint.TensorInfo(name: key, dtype: dtype, shape: shape, stride: strides, storageOffset: offset, storageMember: member)
        let out = Tensor(uninitializedShape: shape)
        let dst = out.storage.base
        let swap = isBigEndian
        storage.withUnsafeBytes { src in
            StridedCopy.forEach(info) { i, e in dst[i] = PyTorchCheckpoint.float(src, e, dtype, swap: swap) }
        }
        return out
    }

    private func storageBytes(_ member: String) throws(PT2ImportError) -> Data {
        if let d = storages[member] { return d }
        let d = try archive.read(member, limit: archive.limits.maxWeightBytes)
        storages[member] = d
        return d
    }

    private func ints(_ values: [PT2SymInt], _ key: String, _ field: String) throws(PT2ImportError) -> [Int] {
        var out: [Int] = []
        for v in values {
            guard case .int(let n) = v, n >= 0 else {
                throw invalid("the weight \"\(key)\" has \(field) \(values.map { v in if case .int(let n) = v { "\(n)" } else { "a symbol" } }); weights have static, non-negative ones",
                              fix: "write the archive again with torch.export.save")
            }
            out.append(n)
        }
        return out
    }

    private func invalid(_ m: String, fix: String) -> PT2ImportError { PT2ImportError(.invalidWeight, "\(path): \(m)", fix: fix) }

    /// The schema's `ScalarType` names.
    static func dtypeName(_ code: Int) -> String {
        let names = [0: "unknown", 1: "uint8", 2: "int8", 3: "int16", 4: "int32", 5: "int64", 6: "float16", 7: "float32", 8: "float64",
                     9: "complex32", 10: "complex64", 11: "complex128", 12: "bool", 13: "bfloat16"]
        return names[code] ?? "ScalarType \(code)"
    }
}
