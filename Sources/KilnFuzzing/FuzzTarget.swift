import Foundation

/// The inputs Kiln fuzzes, each with one entry function shared by libFuzzer (`make fuzz`),
/// the replay executables and the regression tests, so a crash found by the fuzzer replays
/// through exactly the code that found it.
///
/// An entry function never traps on purpose: it returns the *invariant violations* it saw
/// (an empty array when the input was handled correctly, whether it was accepted or
/// rejected with a proper error). Under libFuzzer a violation becomes a crash
/// (``FuzzDriver``); in the tests it becomes a failed expectation naming the input. A real
/// crash (a trap, an out-of-bounds read under ASan) stays a crash.
public enum FuzzTarget: String, Sendable, CaseIterable {
    /// Markdown recipe -> ``Recipe`` plan -> generated program text (never compiled or run).
    case recipe
    /// A safetensors image -> ``SafetensorsFile`` header validation -> every tensor read.
    case safetensors
    /// A `.pth` zip image (or a bare pickle, wrapped in a torch.save-style zip) ->
    /// ``PyTorchCheckpoint`` -> every tensor read.
    case pytorch

    /// An ONNX model -> ``importONNX(data:url:dynamicShapes:limits:)`` -> one interpreter run.
    case onnx
    /// A `.pt2` image (or `models/model.json` bytes, wrapped in a torch.export-style archive)
    /// -> ``importPT2(data:url:limits:)`` -> one interpreter run.
    case pt2

    /// `Recipe`, `Safetensors`, `PyTorch`, `ONNX`, `PT2`: the executable is `KilnFuzz` + this.
    public var executableSuffix: String {
        switch self {
        case .recipe: "Recipe"
        case .safetensors: "Safetensors"
        case .pytorch: "PyTorch"
        case .onnx: "ONNX"
        case .pt2: "PT2"
        }
    }

    /// Runs one input through the target; returns the invariants it broke.
    public func violations(for input: Data) -> [String] {
        switch self {
        case .recipe: RecipeFuzzCheck.violations(for: input)
        case .safetensors: SafetensorsFuzzCheck.violations(for: input)
        case .pytorch: PyTorchFuzzCheck.violations(for: input)
        case .onnx: ONNXFuzzCheck.violations(for: input)
        case .pt2: PT2FuzzCheck.violations(for: input)
        }
    }

    /// The input files under `directory` (recursively, sorted; hidden files skipped), or an
    /// empty array when it does not exist.
    public static func inputFiles(under directory: URL) -> [URL] {
        let fm = FileManager.default
        var isDirectory: ObjCBool = false
        guard fm.fileExists(atPath: directory.path, isDirectory: &isDirectory) else { return [] }
        guard isDirectory.boolValue else { return [directory] }
        guard let walker = fm.enumerator(at: directory, includingPropertiesForKeys: [.isRegularFileKey],
                                         options: [.skipsHiddenFiles]) else { return [] }
        var files: [URL] = []
        for case let url as URL in walker where (try? url.resourceValues(forKeys: [.isRegularFileKey]))?.isRegularFile == true {
            files.append(url)
        }
        return files.sorted { $0.path < $1.path }
    }
}
