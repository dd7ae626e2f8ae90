/// Bounds on what Kiln reads from a checkpoint, which may be hostile: each is checked before
/// the memory it guards is allocated. The defaults hold any torchvision classifier (ResNet-152's
/// data.pkl is ~60 KB with 1,000 tensors) with a wide margin, and fit this machine's memory.
public struct PyTorchLimits: Sendable, Equatable {
    /// Largest `data.pkl` (uncompressed bytes).
    public var maxPickleBytes: Int = 64 << 20
    /// Most memo entries (BINPUT / MEMOIZE).
    public var maxMemoEntries: Int = 1 << 20
    /// Most values on the unpickler's stack (marks included).
    public var maxStackDepth: Int = 1 << 20
    /// Deepest nesting of containers (lists, dicts, tuples) in the result.
    public var maxNesting: Int = 64
    /// Most values a result expands to, shared values counted each time they are referenced
    /// (stops memo "billion laughs" bombs from exploding whoever walks the result).
    public var maxExpandedValues: Int = 10_000_000
    /// Most tensors.
    public var maxTensors: Int = 200_000
    /// Most bytes of all storages together, and of all tensors together once read as float32.
    public var maxTotalBytes: UInt64 = 16 << 30
    /// Most members in the archive.
    public var maxMembers: Int = 1 << 20

    public init() {}
}
