/// Weights that do not fit a model. Lists every problem at once, like PyTorch's
/// `load_state_dict(strict=True)`.
public struct WeightsMismatchError: KilnError {
    /// Where the weights came from (a file path, or "state dict").
    public let source: String
    public let model: String
    public let missing: [String]
    public let unexpected: [String]
    /// Keys whose shape differs: (key, shape the model expects, shape found).
    public let misshaped: [(key: String, expected: [Int], found: [Int])]

    public var failureClass: FailureClass { .weightsMismatch }

    public var description: String {
        var lines = ["\(source): weights do not fit \(model)"]
        func list(_ keys: [String]) -> String {
            keys.count <= 8 ? keys.joined(separator: ", ") : keys.prefix(8).joined(separator: ", ") + ", … (\(keys.count) in all)"
        }
        if !missing.isEmpty { lines.append("  missing keys (\(missing.count)): \(list(missing))") }
        if !unexpected.isEmpty { lines.append("  unexpected keys (\(unexpected.count)): \(list(unexpected))") }
        for m in misshaped.prefix(8) { lines.append("  \(m.key): model expects \(m.expected), file has \(m.found)") }
        if misshaped.count > 8 { lines.append("  … \(misshaped.count - 8) more misshaped keys") }
        return lines.joined(separator: "\n")
    }

    public var suggestion: String? {
        // DataParallel saves every key under "module.": then nothing matches, one prefix away.
        if !missing.isEmpty, unexpected.count >= missing.count, unexpected.allSatisfy({ $0.hasPrefix("module.") }) {
            return "Suggested fix: strip the key prefix \"module.\" (kiln --strip-prefix module., or PyTorchCheckpoint.Options(stripPrefix: \"module.\"))"
        }
        return "Suggested fix: check that the file is a torchvision \(model) state dict (same architecture and number of classes)"
    }
}

extension Module {
    /// Keys ignored when loading: training-only counters that torchvision saves.
    static func isIgnoredStateKey(_ key: String) -> Bool { key.hasSuffix("num_batches_tracked") }

    /// Loads a torchvision-style state dict strictly: every parameter and buffer must be
    /// present with the right shape and nothing else may be there (`num_batches_tracked`
    /// is ignored). On error nothing is changed.
    public func loadStateDict(_ tensors: [String: Tensor], source: String = "state dict") throws {
        let params = namedParameters()
        let wanted = Set(params.map(\.0))
        let given = tensors.keys.filter { !Module.isIgnoredStateKey($0) }
        let missing = params.map(\.0).filter { tensors[$0] == nil }
        let unexpected = given.filter { !wanted.contains($0) }.sorted()
        let misshaped = params.compactMap { key, p -> (key: String, expected: [Int], found: [Int])? in
            guard let t = tensors[key], t.shape != p.shape else { return nil }
            return (key, p.shape, t.shape)
        }
        guard missing.isEmpty, unexpected.isEmpty, misshaped.isEmpty else {
            throw WeightsMismatchError(source: source, model: modelName, missing: missing, unexpected: unexpected, misshaped: misshaped)
        }
        for (key, p) in params { p.value = tensors[key]! }
    }

    /// Loads a state dict from a safetensors file or PyTorch checkpoint (see
    /// ``loadStateDict(_:source:)``).
    public func loadStateDict(_ file: some StateDictReader) throws {
        var tensors: [String: Tensor] = [:]
        for name in file.tensorNames where !Module.isIgnoredStateKey(name) {
            tensors[name] = try file.tensor(named: name)
        }
        try loadStateDict(tensors, source: file.sourcePath)
    }

    /// Every parameter and buffer by key, in registration order (what `loadStateDict` takes).
    public func stateDict() -> [(String, Tensor)] {
        namedParameters().map { ($0.0, $0.1.value) }
    }

    var modelName: String { (self as? ResNet)?.name ?? "\(Self.self)" }
}
