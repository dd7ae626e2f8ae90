import Foundation

/// Finding the state dict in the unpickled value and validating its tensors' geometry.
extension PyTorchCheckpoint {
    /// The dict holding the tensors: `key`'s value, or (without a key) `state_dict`/`model`
    /// when the top level holds such a dict, else the top level.
    static func findStateDict(_ root: PickleValue, key: String?, path: String) throws(PyTorchError) -> PickleDict {
        guard case .dict(let top) = root else { throw .noStateDict(path: path, found: "the file holds \(root.kind), not a dict") }
        func keys() -> String {
            let names = top.entries.prefix(8).map { entry -> String in
                if case .string(let s) = entry.key { return "\"\(s)\"" }
                return "\(entry.key)"
            }
            return names.joined(separator: ", ") + (top.entries.count > 8 ? ", …" : "")
        }
        if let key {
            guard let v = top[key] else { throw .noStateDict(path: path, found: "the top-level dict has no key \"\(key)\" (its keys: \(keys()))") }
            guard case .dict(let d) = v else { throw .noStateDict(path: path, found: "\"\(key)\" holds \(v.kind), not a dict") }
            return d
        }
        for k in ["state_dict", "model"] {
            if case .dict(let d)? = top[k] { return d }
        }
        return top
    }

    /// Every entry as a validated ``TensorInfo``, keys stripped of `options.stripPrefix`.
    static func tensorInfos(_ dict: PickleDict, options: Options, prefix: String, members: [String: ZipArchive.Member],
                            path: String, limits: PyTorchLimits) throws(PyTorchError) -> [TensorInfo] {
        var infos: [TensorInfo] = []
        var seen = Set<String>()
        var totalBytes: UInt64 = 0
        for (key, value) in dict.entries {
            guard case .string(var name) = key else { throw .notATensor(path: path, key: "\(key)", found: "a key that is not a string") }
            let original = name
            guard case .tensor(let t) = value else { throw .notATensor(path: path, key: original, found: value.kind) }
            if !options.stripPrefix.isEmpty, name.hasPrefix(options.stripPrefix) { name = String(name.dropFirst(options.stripPrefix.count)) }
            guard seen.insert(name).inserted else { throw .duplicateKey(path: path, key: name) }
            let member = prefix + "data/" + t.storage.key
            let count = try checkGeometry(t, tensor: original, member: member, path: path)
            guard let m = members[member] else { throw .missingStorage(path: path, tensor: original, member: member) }
            let size = UInt64(t.storage.dtype.byteSize)
            let declared = UInt64(t.storage.elementCount) * size        // bounded by the unpickler
            guard m.uncompressedSize >= declared else {
                throw .storageTooShort(path: path, tensor: original, member: member, needs: declared, has: m.uncompressedSize)
            }
            // What the tensors need once read (float32 or Int64), not just what the file holds:
            // a zero stride can expand one stored element into many.
            totalBytes = totalBytes.addingReportingOverflow(UInt64(count) * 8).partialValue
            guard totalBytes <= limits.maxTotalBytes else {
                throw .limitExceeded(path: path, what: "bytes of tensors once read", limit: Int(clamping: limits.maxTotalBytes))
            }
            infos.append(TensorInfo(name: name, dtype: t.storage.dtype, shape: t.shape, stride: t.stride,
                                    storageOffset: t.offset, storageMember: member))
        }
        return infos
    }

    /// Checks that size, stride and offset stay inside the storage; returns the element count.
    static func checkGeometry(_ t: TorchTensorRef, tensor: String, member: String, path: String) throws(PyTorchError) -> Int {
        func bad(_ reason: String) -> PyTorchError { .invalidTensorGeometry(path: path, tensor: tensor, reason: reason) }
        var count = 1, last = t.offset
        for (d, s) in zip(t.shape, t.stride) {
            let (c, o1) = count.multipliedReportingOverflow(by: d)
            guard !o1, c <= Int(Int32.max) * 64 else { throw bad("size \(t.shape) has too many elements") }
            count = c
            guard d > 0 else { continue }
            let (span, o2) = (d - 1).multipliedReportingOverflow(by: s)
            let (l, o3) = last.addingReportingOverflow(span)
            guard !o2, !o3 else { throw bad("size \(t.shape) with stride \(t.stride) overflows") }
            last = l
        }
        guard count > 0 else { return 0 }
        let size = UInt64(t.storage.dtype.byteSize)
        guard last < t.storage.elementCount else {
            throw .storageTooShort(path: path, tensor: tensor, member: member, needs: (UInt64(last) + 1) * size,
                                   has: UInt64(t.storage.elementCount) * size)
        }
        return count
    }
}

/// Visits a strided tensor's elements in row-major order.
enum StridedCopy {
    /// True when the elements lie row-major one after another (size-1 dimensions' strides
    /// do not matter).
    static func isContiguous(_ info: PyTorchCheckpoint.TensorInfo) -> Bool {
        var expected = 1
        for d in info.shape.indices.reversed() where info.shape[d] != 1 {
            if info.stride[d] != expected { return false }
            expected *= info.shape[d]
        }
        return true
    }

    /// Calls `body(i, e)` for the i-th element (row-major) at storage element `e`.
    @inline(__always)
    static func forEach(_ info: PyTorchCheckpoint.TensorInfo, _ body: (Int, Int) -> Void) {
        let shape = info.shape, stride = info.stride, n = info.elementCount
        guard n > 0 else { return }
        if isContiguous(info) {
            for i in 0..<n { body(i, info.storageOffset + i) }
            return
        }
        let rank = shape.count
        var index = [Int](repeating: 0, count: rank)
        var e = info.storageOffset
        for i in 0..<n {
            body(i, e)
            var d = rank - 1
            while d >= 0 {
                index[d] += 1
                e += stride[d]
                if index[d] < shape[d] { break }
                e -= stride[d] * shape[d]
                index[d] = 0
                d -= 1
            }
        }
    }
}
