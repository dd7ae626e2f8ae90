import Foundation

/// A file of named tensors that a model's state dict loads from
/// (``Module/loadStateDict(_:)``): ``SafetensorsFile`` and ``PyTorchCheckpoint``.
public protocol StateDictReader {
    /// Tensor names, in the file's order.
    var tensorNames: [String] { get }
    /// The tensor `name` as float32.
    func tensor(named name: String) throws -> Tensor
    /// The file, as errors name it.
    var sourcePath: String { get }
}

extension SafetensorsFile: StateDictReader {
    public var sourcePath: String { url.displayPath }
}

extension PyTorchCheckpoint: StateDictReader {
    public var sourcePath: String { url.displayPath }
}
