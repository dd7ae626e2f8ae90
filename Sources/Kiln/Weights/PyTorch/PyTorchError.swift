/// Everything that can go wrong reading a PyTorch `.pth`/`.pt` checkpoint. Every description
/// names the file and, where there is one, the zip member, pickle offset, global or tensor.
/// All are bad input (exit code 65) except ``failureClass`` says otherwise.
public enum PyTorchError: KilnError, Equatable, Sendable {
    // MARK: The file and its container
    /// No file at the path.
    case fileNotFound(path: String)
    /// The path exists but cannot be read (permissions, a directory, a FIFO, …).
    case unreadable(path: String, reason: String)
    /// A pre-1.6 checkpoint (a bare pickle stream or a tar archive), which needs the legacy loader.
    case legacyFormat(path: String, kind: String)
    /// A TorchScript archive (`torch.jit.save`): `member` holds code, not a state dict.
    case torchScriptArchive(path: String, member: String)
    /// A `torch.export.save` program (`.pt2`), not a state dict.
    case exportedProgram(path: String, member: String)
    /// Neither a zip nor a known PyTorch format (`found` describes the first bytes).
    case notACheckpoint(path: String, found: String)
    /// The zip structure is broken (truncated, bad central directory, CRC mismatch, …).
    case malformedZip(path: String, reason: String)
    /// A member name is absolute, escapes with `..`, or is otherwise not a plain relative path.
    case unsafeMemberName(path: String, member: String, reason: String)
    /// Two members have the same name (which one a reader takes is ambiguous).
    case duplicateMember(path: String, member: String)
    /// A member torch.save always writes is absent.
    case missingMember(path: String, member: String)
    /// A member (or the storages together) is larger than Kiln's limit.
    case memberTooLarge(path: String, member: String, bytes: UInt64, limit: UInt64)
    /// `byteorder` holds something other than `little` or `big`.
    case badByteOrder(path: String, value: String)

    // MARK: The pickle (data.pkl)
    /// A global outside Kiln's allowlist (e.g. `os.system`): refused before anything runs.
    case forbiddenGlobal(path: String, module: String, name: String, offset: Int)
    /// An opcode outside the subset torch.save's state dicts use.
    case forbiddenOpcode(path: String, opcode: UInt8, offset: Int)
    /// The pickle is malformed (stack underflow, bad argument types, truncated, …).
    case malformedPickle(path: String, offset: Int, reason: String)
    /// An allowlisted callable was called with arguments torch never writes.
    case unsupportedCall(path: String, callable: String, offset: Int, reason: String)
    /// A resource limit was hit (`what` names it: memo entries, nesting, tensors, …).
    case limitExceeded(path: String, what: String, limit: Int)

    // MARK: The state dict
    /// No state dict found: the pickle's result is not a dict (`found` says what it is), or
    /// the requested key is absent.
    case noStateDict(path: String, found: String)
    /// A state-dict value is not a tensor.
    case notATensor(path: String, key: String, found: String)
    /// Two keys become the same after the prefix is stripped.
    case duplicateKey(path: String, key: String)
    /// A tensor's storage member `member` is missing from the archive.
    case missingStorage(path: String, tensor: String, member: String)
    /// A storage is shorter than a tensor viewing it needs (in bytes).
    case storageTooShort(path: String, tensor: String, member: String, needs: UInt64, has: UInt64)
    /// Size, stride or offset are invalid (negative, overflowing, rank mismatch).
    case invalidTensorGeometry(path: String, tensor: String, reason: String)
    /// Two tensors view one storage with different dtypes (torch.save refuses to write this).
    case storageTypeConflict(path: String, storage: String, first: String, second: String)

    // MARK: Asking for tensors
    /// No tensor has this name; `available` lists a few that do.
    case unknownTensor(path: String, name: String, available: [String], total: Int)
    /// An integer or boolean tensor was requested as float.
    case integerTensorAsFloat(path: String, tensor: String, dtype: String)
    /// A floating-point tensor was requested as integers.
    case floatTensorAsInteger(path: String, tensor: String, dtype: String)
    /// A dtype Kiln does not convert (e.g. float64 to float32).
    case unsupportedDType(path: String, tensor: String, dtype: String, wanted: String)

    public var failureClass: FailureClass { .badInput }
}
