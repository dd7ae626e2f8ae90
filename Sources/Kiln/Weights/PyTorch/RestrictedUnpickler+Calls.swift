/// What the allowlisted callables mean, interpreted in Swift (nothing is called), and the
/// container-filling opcodes.
extension RestrictedUnpickler {
    /// REDUCE: `callable(*args)` for an allowlisted callable.
    mutating func reduce(_ callable: PickleValue, _ argsValue: PickleValue) throws(PyTorchError) -> PickleValue {
        guard case .global(let g) = callable else {
            throw malformed("REDUCE calls \(callable.kind), which is not a callable")
        }
        guard case .tuple(let argList) = argsValue else {
            throw unsupported(g, "its arguments are \(argsValue.kind), not a tuple")
        }
        let args = argList.items
        switch g {
        case .orderedDict:
            guard args.isEmpty else { throw unsupported(g, "called with \(args.count) arguments; torch.save writes OrderedDict()") }
            return .dict(PickleDict(ordered: true))
        case .rebuildTensorV2, .rebuildTensor:
            let n = g == .rebuildTensor ? [4] : [6, 7]
            guard n.contains(args.count) else { throw unsupported(g, "called with \(args.count) arguments, expected \(n.map(String.init).joined(separator: " or "))") }
            guard case .storage(let storage) = args[0] else { throw unsupported(g, "its storage is \(args[0].kind)") }
            guard case .int(let offset) = args[1], offset >= 0, offset <= Int64(Int.max) else {
                throw unsupported(g, "its storage offset is \(args[1].kind)")
            }
            let shape = try intTuple(args[2], g, "size"), stride = try intTuple(args[3], g, "stride")
            guard shape.count == stride.count else { throw unsupported(g, "size \(shape) and stride \(stride) differ in rank") }
            if args.count >= 6 {
                guard case .bool = args[4] else { throw unsupported(g, "requires_grad is \(args[4].kind)") }
                try expectEmptyDict(args[5], g, "backward_hooks")
            }
            tensorCount += 1
            guard tensorCount <= limits.maxTensors else { throw .limitExceeded(path: path, what: "tensors", limit: limits.maxTensors) }
            return .tensor(TorchTensorRef(storage: storage, offset: Int(offset), shape: shape, stride: stride))
        case .rebuildParameter, .rebuildParameterWithState:
            guard args.count == (g == .rebuildParameter ? 3 : 4) else { throw unsupported(g, "called with \(args.count) arguments") }
            guard case .tensor = args[0] else { throw unsupported(g, "its data is \(args[0].kind)") }
            guard case .bool = args[1] else { throw unsupported(g, "requires_grad is \(args[1].kind)") }
            try expectEmptyDict(args[2], g, "backward_hooks")
            if args.count == 4, case .dict(let state) = args[3], !state.entries.isEmpty {
                throw unsupported(g, "the parameter carries Python state (\(args[3].kind))")
            }
            return args[0]
        case .device:
            guard (1...2).contains(args.count), case .string(let kind) = args[0] else { throw unsupported(g, "called with \(argsValue.kind)") }
            if args.count == 2, case .int(let index) = args[1] { return .opaque("torch.device('\(kind)', \(index))") }
            guard args.count == 1 else { throw unsupported(g, "its index is \(args[1].kind)") }
            return .opaque("torch.device('\(kind)')")
        case .storageType:
            throw unsupported(g, "a storage type is only a tag inside a persistent id, never called")
        }
    }

    /// BUILD: only an OrderedDict's instance dict (a state dict's `_metadata`), which Kiln drops.
    mutating func build(_ state: PickleValue) throws(PyTorchError) {
        guard let target = stack.last, stack.count > (marks.last ?? 0) else { throw malformed("BUILD on an empty stack") }
        guard case .dict(let d) = target, d.isOrdered, !d.sealed else {
            throw .unsupportedCall(path: path, callable: "BUILD on \(target.kind)", offset: at,
                                   reason: "only an OrderedDict's attributes (_metadata) may be set")
        }
        switch state {
        case .dict, .none: break
        default: throw .unsupportedCall(path: path, callable: "BUILD on an OrderedDict", offset: at, reason: "its state is \(state.kind)")
        }
    }

    /// BINPERSID: `("storage", torch.XStorage, key, location, numel)`.
    mutating func persistentLoad(_ pid: PickleValue) throws(PyTorchError) -> PickleValue {
        guard case .tuple(let t) = pid, t.items.count == 5, case .string("storage") = t.items[0] else {
            throw malformed("a persistent id is \(pid.kind), expected (\"storage\", type, key, location, numel)")
        }
        let items = t.items
        guard case .global(.storageType(let dtype)) = items[1] else { throw malformed("a storage's type is \(items[1].kind)") }
        // The key names the member data/<key>: decimal digits only, so it can never be a path.
        guard case .string(let key) = items[2], !key.isEmpty, key.count <= 20, key.utf8.allSatisfy({ (0x30...0x39).contains($0) }) else {
            throw malformed("a storage key is \(items[2].kind), expected decimal digits")
        }
        guard case .string(let location) = items[3] else { throw malformed("a storage location is \(items[3].kind)") }
        guard case .int(let numel) = items[4], numel >= 0, numel <= Int64(Int.max) else {
            throw malformed("a storage size is \(items[4].kind)")
        }
        let ref = TorchStorageRef(key: key, dtype: dtype, location: location, elementCount: Int(numel))
        if let first = storages[key] {
            guard first.dtype == ref.dtype else {
                throw .storageTypeConflict(path: path, storage: "data/\(key)", first: first.dtype.rawValue, second: ref.dtype.rawValue)
            }
            guard first.elementCount == ref.elementCount else { throw malformed("storage \(key) is named with sizes \(first.elementCount) and \(numel)") }
            return .storage(first)
        }
        let (bytes, overflow) = UInt64(numel).multipliedReportingOverflow(by: UInt64(dtype.byteSize))
        storageBytes = storageBytes.addingReportingOverflow(bytes).partialValue
        guard !overflow, storageBytes <= limits.maxTotalBytes else {
            throw .limitExceeded(path: path, what: "bytes of storage", limit: Int(clamping: limits.maxTotalBytes))
        }
        storages[key] = ref
        return .storage(ref)
    }

    /// SETITEM(S): key/value pairs into the dict below them.
    mutating func setItems(_ kv: [PickleValue]) throws(PyTorchError) {
        guard kv.count % 2 == 0 else { throw malformed("SETITEMS with an odd number of values") }
        guard case .dict(let d) = try target() else { throw malformed("SETITEM(S) on \(stack.last!.kind)") }
        for i in stride(from: 0, to: kv.count, by: 2) {
            guard let key = PickleKey(kv[i]) else { throw malformed("a dict key is \(kv[i].kind)") }
            try checkNesting(kv[i + 1], into: .dict(d))
            d.set(key, kv[i + 1])
        }
        try checkGrown(.dict(d))
    }

    /// APPEND(S): values onto the list below them.
    mutating func appendItems(_ values: [PickleValue]) throws(PyTorchError) {
        guard case .list(let l) = try target() else { throw malformed("APPEND(S) on \(stack.last!.kind)") }
        for v in values {
            try checkNesting(v, into: .list(l))
            l.append(v)
        }
        try checkGrown(.list(l))
    }

    mutating func makeTuple(_ items: [PickleValue]) throws(PyTorchError) -> PickleValue {
        let t = PickleValue.tuple(PickleList(items))
        try checkGrown(t)
        return t
    }

    /// The container being filled: the top of the stack, never one already nested elsewhere.
    private func target() throws(PyTorchError) -> PickleValue {
        guard let t = stack.last, stack.count > (marks.last ?? 0) else { throw malformed("\(PickleOpcode.name(bytes[at])) on an empty stack") }
        let sealed: Bool = switch t {
        case .list(let c): c.sealed
        case .dict(let d): d.sealed
        default: false
        }
        guard !sealed else { throw malformed("a container is modified after it was nested in another (torch.save never does this)") }
        return t
    }

    private func checkNesting(_ child: PickleValue, into parent: PickleValue) throws(PyTorchError) {
        switch (child, parent) {
        case let (.list(a), .list(b)) where a === b: throw malformed("a list is put inside itself")
        case let (.dict(a), .dict(b)) where a === b: throw malformed("a dict is put inside itself")
        default: break
        }
    }

    private func checkGrown(_ v: PickleValue) throws(PyTorchError) {
        guard v.depth <= limits.maxNesting else { throw .limitExceeded(path: path, what: "nesting depth", limit: limits.maxNesting) }
        guard v.expandedSize <= limits.maxExpandedValues else {
            throw .limitExceeded(path: path, what: "values (shared values counted at each use)", limit: limits.maxExpandedValues)
        }
    }

    private func intTuple(_ v: PickleValue, _ g: PickleGlobal, _ what: String) throws(PyTorchError) -> [Int] {
        guard case .tuple(let t) = v else { throw unsupported(g, "its \(what) is \(v.kind)") }
        return try t.items.map { (item: PickleValue) throws(PyTorchError) -> Int in
            guard case .int(let i) = item, i >= 0, i <= Int64(Int.max) else {
                throw unsupported(g, "its \(what) holds \(item.kind); sizes and strides are non-negative integers")
            }
            return Int(i)
        }
    }

    private func expectEmptyDict(_ v: PickleValue, _ g: PickleGlobal, _ what: String) throws(PyTorchError) {
        guard case .dict(let d) = v, d.entries.isEmpty else { throw unsupported(g, "its \(what) is \(v.kind), expected an empty OrderedDict") }
    }

    private func unsupported(_ g: PickleGlobal, _ reason: String) -> PyTorchError {
        .unsupportedCall(path: path, callable: g.qualifiedName, offset: at, reason: reason)
    }

    static func callableName(_ v: PickleValue) -> String {
        if case .global(let g) = v { return g.qualifiedName }
        return v.kind
    }
}
