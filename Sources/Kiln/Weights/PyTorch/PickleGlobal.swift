/// The globals a state-dict pickle may name — Kiln's whole allowlist. Any other
/// `module.name` (`os.system`, `builtins.eval`, `torch._utils.os`, …) is refused where the
/// pickle names it, before any later opcode runs. None of these is ever called: the
/// unpickler recognises them and builds plain values in Swift (``RestrictedUnpickler``).
enum PickleGlobal: Equatable {
    /// `collections.OrderedDict` (a state dict, `_metadata`, `backward_hooks`).
    case orderedDict
    /// `torch._utils._rebuild_tensor_v2` (every tensor since PyTorch 1.0) and its
    /// predecessor `_rebuild_tensor`.
    case rebuildTensorV2, rebuildTensor
    /// `torch._utils._rebuild_parameter` / `_rebuild_parameter_with_state` (an `nn.Parameter`).
    case rebuildParameter, rebuildParameterWithState
    /// `torch.FloatStorage` … : the dtype tag inside a storage's persistent id.
    case storageType(TorchDType)
    /// `torch.device` (some checkpoints record where they were trained).
    case device

    /// Looks `module.name` up in the allowlist.
    init?(module: String, name: String) {
        switch (module, name) {
        case ("collections", "OrderedDict"): self = .orderedDict
        case ("torch._utils", "_rebuild_tensor_v2"): self = .rebuildTensorV2
        case ("torch._utils", "_rebuild_tensor"): self = .rebuildTensor
        case ("torch._utils", "_rebuild_parameter"): self = .rebuildParameter
        case ("torch._utils", "_rebuild_parameter_with_state"): self = .rebuildParameterWithState
        case ("torch", "device"): self = .device
        case ("torch", _):
            guard let t = TorchDType(storageClass: name) else { return nil }
            self = .storageType(t)
        default: return nil
        }
    }

    var qualifiedName: String {
        switch self {
        case .orderedDict: "collections.OrderedDict"
        case .rebuildTensorV2: "torch._utils._rebuild_tensor_v2"
        case .rebuildTensor: "torch._utils._rebuild_tensor"
        case .rebuildParameter: "torch._utils._rebuild_parameter"
        case .rebuildParameterWithState: "torch._utils._rebuild_parameter_with_state"
        case .storageType(let t): "torch.\(t.storageClass)"
        case .device: "torch.device"
        }
    }
}

/// A storage element type, as torch.save tags it (`torch.FloatStorage` → float32).
public enum TorchDType: String, Sendable, CaseIterable {
    case float32, float16, bfloat16, float64, int64, int32, int16, int8, uint8, bool

    /// Bytes per element.
    public var byteSize: Int {
        switch self {
        case .float64, .int64: 8
        case .float32, .int32: 4
        case .float16, .bfloat16, .int16: 2
        case .int8, .uint8, .bool: 1
        }
    }

    /// The legacy storage class torch.save names for this dtype.
    var storageClass: String {
        switch self {
        case .float32: "FloatStorage"
        case .float16: "HalfStorage"
        case .bfloat16: "BFloat16Storage"
        case .float64: "DoubleStorage"
        case .int64: "LongStorage"
        case .int32: "IntStorage"
        case .int16: "ShortStorage"
        case .int8: "CharStorage"
        case .uint8: "ByteStorage"
        case .bool: "BoolStorage"
        }
    }

    init?(storageClass: String) {
        guard let t = TorchDType.allCases.first(where: { $0.storageClass == storageClass }) else { return nil }
        self = t
    }
}

/// A storage as a persistent id names it: `("storage", torch.FloatStorage, "0", "cpu", numel)`.
struct TorchStorageRef: Equatable {
    /// The member `data/<key>` holding it (the key is decimal digits).
    let key: String
    let dtype: TorchDType
    let location: String
    /// Elements of `dtype` the storage holds.
    let elementCount: Int
}

/// A tensor as `_rebuild_tensor_v2` describes it: a strided view of a storage.
struct TorchTensorRef: Equatable {
    let storage: TorchStorageRef
    let offset: Int
    let shape: [Int]
    let stride: [Int]
}
