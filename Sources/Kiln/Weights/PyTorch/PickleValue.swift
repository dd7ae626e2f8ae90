/// A value built by ``RestrictedUnpickler``: plain data only. Nothing in it can run code;
/// allowlisted globals are tags that Swift interprets (``PickleGlobal``).
enum PickleValue {
    case none
    case bool(Bool)
    case int(Int64)
    case float(Double)
    case string(String)
    case tuple(PickleList)
    case list(PickleList)
    case dict(PickleDict)
    case global(PickleGlobal)
    case storage(TorchStorageRef)
    case tensor(TorchTensorRef)
    /// An allowlisted object Kiln does not need the contents of (`torch.device('cpu')`).
    case opaque(String)

    /// Container nesting below this value (0 for scalars).
    var depth: Int {
        switch self {
        case .tuple(let c), .list(let c): c.depth
        case .dict(let d): d.depth
        default: 0
        }
    }

    /// Values this expands to, counting shared values at every reference.
    var expandedSize: Int {
        switch self {
        case .tuple(let c), .list(let c): c.expandedSize
        case .dict(let d): d.expandedSize
        default: 1
        }
    }

    /// Marks a list or dict as nested in another value. Pickles from torch.save fill every
    /// container before nesting it, so a sealed container may not change: that keeps every
    /// recorded depth and size true and makes reference cycles impossible.
    func seal() {
        switch self {
        case .list(let c): c.sealed = true
        case .dict(let d): d.sealed = true
        default: break
        }
    }

    /// A short description for errors ("a str", "a dict with 3 entries", …).
    var kind: String {
        switch self {
        case .none: "None"
        case .bool: "a bool"
        case .int(let v): "the int \(v)"
        case .float(let v): "the float \(v)"
        case .string(let s): "the str \"\(s.prefix(40))\""
        case .tuple(let c): "a tuple of \(c.items.count)"
        case .list(let c): "a list of \(c.items.count)"
        case .dict(let d): "a\(d.isOrdered ? "n OrderedDict" : " dict") with \(d.entries.count) entr\(d.entries.count == 1 ? "y" : "ies")"
        case .global(let g): "the global \(g.qualifiedName)"
        case .storage: "a storage"
        case .tensor: "a tensor"
        case .opaque(let s): s
        }
    }
}

/// A tuple's or list's items (a reference, as the pickle memo shares it).
final class PickleList {
    private(set) var items: [PickleValue] = []
    private(set) var depth = 1
    private(set) var expandedSize = 1
    var sealed = false

    init(_ items: [PickleValue] = []) {
        for v in items { append(v) }
    }

    func append(_ v: PickleValue) {
        v.seal()
        items.append(v)
        depth = max(depth, v.depth + 1)
        expandedSize = expandedSize.addingReportingOverflow(v.expandedSize).partialValue
        if expandedSize < 0 { expandedSize = .max }
    }
}

/// A dict key: the hashable scalar kinds (state dicts use strings; optimizer states ints).
enum PickleKey: Hashable {
    case string(String), int(Int64), bool(Bool), none, float(UInt64)

    init?(_ v: PickleValue) {
        switch v {
        case .string(let s): self = .string(s)
        case .int(let i): self = .int(i)
        case .bool(let b): self = .bool(b)
        case .none: self = .none
        case .float(let f): self = .float(f.bitPattern)
        default: return nil
        }
    }
}

/// A dict or `collections.OrderedDict`, in insertion order (a later SETITEM of a key replaces
/// its value in place, as in Python).
final class PickleDict {
    private(set) var entries: [(key: PickleKey, value: PickleValue)] = []
    private var index: [PickleKey: Int] = [:]
    let isOrdered: Bool
    private(set) var depth = 1
    private(set) var expandedSize = 1
    var sealed = false

    init(ordered: Bool) { isOrdered = ordered }

    func set(_ key: PickleKey, _ value: PickleValue) {
        value.seal()
        if let i = index[key] { entries[i].value = value } else {
            index[key] = entries.count
            entries.append((key, value))
        }
        depth = max(depth, value.depth + 1)
        expandedSize = expandedSize.addingReportingOverflow(value.expandedSize + 1).partialValue
        if expandedSize < 0 { expandedSize = .max }
    }

    subscript(_ key: String) -> PickleValue? { index[.string(key)].map { entries[$0].value } }
}
