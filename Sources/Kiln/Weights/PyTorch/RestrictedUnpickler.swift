/// A pickle interpreter that builds data and never runs anything.
///
/// It implements only ``PickleOpcode``'s subset and resolves globals only against
/// ``PickleGlobal``'s allowlist: the first other global (GLOBAL, STACK_GLOBAL or INST) ends
/// the run with ``PyTorchError/forbiddenGlobal(path:module:name:offset:)``. REDUCE, BUILD and
/// BINPERSID are interpreted by Swift code for the allowlisted callables only. Every resource
/// is bounded by ``PyTorchLimits`` before it is allocated.
struct RestrictedUnpickler {
    let bytes: [UInt8]
    let path: String
    let limits: PyTorchLimits
    var pos = 0
    /// Offset of the opcode being run (for errors).
    var at = 0
    var stack: [PickleValue] = []
    var marks: [Int] = []
    var memo: [Int: PickleValue] = [:]
    var tensorCount = 0
    /// Storages by key, as first named (later references must agree).
    var storages: [String: TorchStorageRef] = [:]
    var storageBytes: UInt64 = 0

    init(bytes: [UInt8], path: String, limits: PyTorchLimits) {
        self.bytes = bytes
        self.path = path
        self.limits = limits
    }

    /// Runs the pickle to its STOP; returns the result.
    mutating func run() throws(PyTorchError) -> PickleValue {
        while true {
            at = pos
            let byte = try readByte()
            guard let op = PickleOpcode(rawValue: byte) else { throw .forbiddenOpcode(path: path, opcode: byte, offset: at) }
            switch op {
            case .proto:
                let v = try readByte()
                guard (2...5).contains(v) else { throw malformed("pickle protocol \(v); torch.save writes 2 (or 3–5)") }
            case .frame: _ = try read(8)           // a framing hint only
            case .stop:
                guard marks.isEmpty, stack.count == 1 else { throw malformed("STOP with \(stack.count) values and \(marks.count) marks on the stack") }
                return stack[0]
            case .mark:
                try checkStack(extra: 1)
                marks.append(stack.count)
            case .emptyDict: try push(.dict(PickleDict(ordered: false)))
            case .emptyList: try push(.list(PickleList()))
            case .emptyTuple: try push(.tuple(PickleList()))
            case .tuple: try push(try makeTuple(popToMark()))
            case .tuple1, .tuple2, .tuple3:
                let n = Int(byte - PickleOpcode.tuple1.rawValue) + 1
                try push(try makeTuple(pop(n)))
            case .binInt: try push(.int(Int64(Int32(bitPattern: UInt32(try littleEndian(4))))))
            case .binInt1: try push(.int(Int64(try readByte())))
            case .binInt2: try push(.int(Int64(try littleEndian(2))))
            case .long1: try push(.int(try readLong1()))
            case .binFloat: try push(.float(Double(bitPattern: try read(8).reduce(UInt64(0)) { $0 << 8 | UInt64($1) })))
            case .none: try push(.none)
            case .newTrue: try push(.bool(true))
            case .newFalse: try push(.bool(false))
            case .binUnicode: try push(.string(try readString(length: Int(try littleEndian(4)))))
            case .shortBinUnicode: try push(.string(try readString(length: Int(try readByte()))))
            case .setItem: try setItems(try pop(2))
            case .setItems: try setItems(try popToMark())
            case .append: try appendItems([try popLast()])
            case .appends: try appendItems(try popToMark())
            case .binPut: try memoize(Int(try readByte()))
            case .longBinPut: try memoize(Int(try littleEndian(4)))
            case .memoize: try memoize(memo.count)
            case .binGet: try push(try memoGet(Int(try readByte())))
            case .longBinGet: try push(try memoGet(Int(try littleEndian(4))))
            case .global, .inst:
                let module = try readLine(), name = try readLine()
                guard op == .global, let g = PickleGlobal(module: module, name: name) else {
                    throw .forbiddenGlobal(path: path, module: module, name: name, offset: at)
                }
                try push(.global(g))
            case .stackGlobal:
                let pair = try pop(2)
                guard case .string(let module) = pair[0], case .string(let name) = pair[1] else {
                    throw malformed("STACK_GLOBAL needs two strings, got \(pair[0].kind) and \(pair[1].kind)")
                }
                guard let g = PickleGlobal(module: module, name: name) else {
                    throw .forbiddenGlobal(path: path, module: module, name: name, offset: at)
                }
                try push(.global(g))
            case .reduce:
                let pair = try pop(2)
                try push(try reduce(pair[0], pair[1]))
            case .build:
                let state = try popLast()
                try build(state)
            case .binPersID: try push(try persistentLoad(try popLast()))
            case .newObj:
                let pair = try pop(2)
                throw .unsupportedCall(path: path, callable: Self.callableName(pair[0]), offset: at,
                                       reason: "NEWOBJ (cls.__new__) is never needed by a state dict")
            }
        }
    }

    // MARK: Reading the byte stream

    mutating func readByte() throws(PyTorchError) -> UInt8 {
        guard pos < bytes.count else { throw malformed("the pickle ends without STOP") }
        defer { pos += 1 }
        return bytes[pos]
    }

    mutating func read(_ n: Int) throws(PyTorchError) -> ArraySlice<UInt8> {
        guard n >= 0, n <= bytes.count - pos else {
            throw malformed("an argument claims \(n) bytes but only \(bytes.count - pos) remain")
        }
        defer { pos += n }
        return bytes[pos..<(pos + n)]
    }

    mutating func littleEndian(_ n: Int) throws(PyTorchError) -> UInt64 {
        try read(n).reversed().reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
    }

    /// LONG1: a length byte, then that many bytes of little-endian two's complement.
    mutating func readLong1() throws(PyTorchError) -> Int64 {
        let n = Int(try readByte())
        guard n <= 8 else { throw malformed("LONG1 of \(n) bytes does not fit 64 bits") }
        guard n > 0 else { return 0 }
        let raw = try read(n)
        var v = raw.reversed().reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
        if n < 8, raw.last! & 0x80 != 0 { v |= ~UInt64(0) << UInt64(8 * n) }   // sign-extend
        return Int64(bitPattern: v)
    }

    mutating func readString(length n: Int) throws(PyTorchError) -> String {
        let raw = try read(n)
        guard let s = String(validating: raw, as: UTF8.self) else { throw malformed("a string is not valid UTF-8") }
        return s
    }

    /// A GLOBAL/INST argument: printable ASCII up to a newline, at most 256 bytes.
    mutating func readLine() throws(PyTorchError) -> String {
        let start = pos
        while pos < bytes.count, pos - start <= 256 {
            let b = bytes[pos]
            pos += 1
            if b == 0x0A { return String(decoding: bytes[start..<(pos - 1)], as: UTF8.self) }
            guard b >= 0x20, b < 0x7F else { throw malformed("a global's name holds byte 0x\(String(b, radix: 16))") }
        }
        throw malformed("a global's name is not terminated by a newline within 256 bytes")
    }

    // MARK: The stack and memo

    func checkStack(extra: Int) throws(PyTorchError) {
        guard stack.count + marks.count + extra <= limits.maxStackDepth else {
            throw .limitExceeded(path: path, what: "stack depth", limit: limits.maxStackDepth)
        }
    }

    mutating func push(_ v: PickleValue) throws(PyTorchError) {
        try checkStack(extra: 1)
        guard v.depth <= limits.maxNesting else { throw .limitExceeded(path: path, what: "nesting depth", limit: limits.maxNesting) }
        guard v.expandedSize <= limits.maxExpandedValues else {
            throw .limitExceeded(path: path, what: "values (shared values counted at each use)", limit: limits.maxExpandedValues)
        }
        stack.append(v)
    }

    mutating func popLast() throws(PyTorchError) -> PickleValue {
        guard stack.count > (marks.last ?? 0) else { throw malformed("\(PickleOpcode.name(bytes[at])) on an empty stack") }
        return stack.removeLast()
    }

    /// The top `n` values, bottom first; they may not reach below the innermost mark.
    mutating func pop(_ n: Int) throws(PyTorchError) -> [PickleValue] {
        guard stack.count - (marks.last ?? 0) >= n else {
            throw malformed("\(PickleOpcode.name(bytes[at])) needs \(n) values on the stack")
        }
        defer { stack.removeLast(n) }
        return Array(stack.suffix(n))
    }

    mutating func popToMark() throws(PyTorchError) -> [PickleValue] {
        guard let m = marks.popLast() else { throw malformed("\(PickleOpcode.name(bytes[at])) without a MARK") }
        defer { stack.removeLast(stack.count - m) }
        return Array(stack[m...])
    }

    mutating func memoize(_ index: Int) throws(PyTorchError) {
        guard let top = stack.last, stack.count > (marks.last ?? 0) else { throw malformed("memoizing an empty stack") }
        guard memo[index] != nil || memo.count < limits.maxMemoEntries else {
            throw .limitExceeded(path: path, what: "memo entries", limit: limits.maxMemoEntries)
        }
        memo[index] = top
    }

    func memoGet(_ index: Int) throws(PyTorchError) -> PickleValue {
        guard let v = memo[index] else { throw malformed("memo entry \(index) was never stored") }
        return v
    }

    func malformed(_ reason: String) -> PyTorchError { .malformedPickle(path: path, offset: at, reason: reason) }
}
