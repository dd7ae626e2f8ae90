import Foundation

/// The models Kiln can build by name.
public enum ModelName: String, CaseIterable, Sendable {
    case resnet18, resnet34, resnet50
    case mobilenetV2 = "mobilenet_v2"
    case efficientnetB0 = "efficientnet_b0"

    /// Builds the architecture with zero weights: a ``ResNet``, ``MobileNetV2`` or ``EfficientNet``.
    public func build(numClasses: Int = 1000) -> Module {
        switch self {
        case .resnet18, .resnet34, .resnet50: buildResNet(numClasses: numClasses)!
        case .mobilenetV2: MobileNetV2(numClasses: numClasses)
        case .efficientnetB0: EfficientNet.b0(numClasses: numClasses)
        }
    }

    /// The ResNets' architecture (nil for the other families).
    func buildResNet(numClasses: Int = 1000) -> ResNet? {
        switch self {
        case .resnet18: ResNet(name: rawValue, block: BasicBlock.self, layers: [2, 2, 2, 2], numClasses: numClasses)
        case .resnet34: ResNet(name: rawValue, block: BasicBlock.self, layers: [3, 4, 6, 3], numClasses: numClasses)
        case .resnet50: ResNet(name: rawValue, block: Bottleneck.self, layers: [3, 4, 6, 3], numClasses: numClasses)
        case .mobilenetV2, .efficientnetB0: nil
        }
    }
}

/// Where a model's weights come from.
public enum Weights: Sendable {
    /// Kiln's deterministic initialisation in torchvision's style (see
    /// ``Module/initializeParameters(seed:)``). Not pretrained: predictions are meaningless.
    case seeded(UInt64)
    /// A torchvision state dict saved as safetensors, loaded strictly.
    case safetensors(URL)
    /// A state dict saved by `torch.save` (`.pth`/`.pt`, zip format), read by the restricted
    /// unpickler of ``PyTorchCheckpoint`` and loaded strictly.
    case pytorch(URL, options: PyTorchCheckpoint.Options = .init())

    /// The weights file at `url`, its format told by its first bytes (a zip archive or legacy
    /// PyTorch file is a PyTorch checkpoint, anything else is read as safetensors), not by its
    /// extension.
    public static func file(_ url: URL, pytorchOptions: PyTorchCheckpoint.Options = .init()) -> Weights {
        PyTorchCheckpoint.looksLikePyTorch(url) ? .pytorch(url, options: pytorchOptions) : .safetensors(url)
    }
}

/// A model from the zoo: the architecture with its weights loaded.
/// - Throws: ``SafetensorsError`` or ``PyTorchError`` for unreadable files, ``WeightsMismatchError`` when keys
///   or shapes do not fit, ``ModelNameError`` for unknown names.
public func model(_ name: ModelName, weights: Weights = .seeded(0)) throws -> Module {
    try load(name.build(), weights: weights)
}

/// `m` with `weights` loaded (strictly) or seeded.
func load<M: Module>(_ m: M, weights: Weights) throws -> M {
    switch weights {
    case .seeded(let seed): m.initializeParameters(seed: seed)
    case .safetensors(let url): try m.loadStateDict(SafetensorsFile(contentsOf: url))
    case .pytorch(let url, let options): try m.loadStateDict(PyTorchCheckpoint(contentsOf: url, options: options))
    }
    return m
}

/// ResNet-18 (11.7 M parameters). Without `weights`, seeded and not pretrained.
public func resnet18(weights: Weights = .seeded(0)) throws -> ResNet { try load(ModelName.resnet18.buildResNet()!, weights: weights) }
/// ResNet-34 (21.8 M parameters). Without `weights`, seeded and not pretrained.
public func resnet34(weights: Weights = .seeded(0)) throws -> ResNet { try load(ModelName.resnet34.buildResNet()!, weights: weights) }
/// ResNet-50 (25.6 M parameters). Without `weights`, seeded and not pretrained.
public func resnet50(weights: Weights = .seeded(0)) throws -> ResNet { try load(ModelName.resnet50.buildResNet()!, weights: weights) }
/// MobileNetV2 (3.5 M parameters), torchvision's state-dict names. Without `weights`, seeded and not pretrained.
public func mobilenetV2(weights: Weights = .seeded(0)) throws -> MobileNetV2 { try load(MobileNetV2(), weights: weights) }
/// EfficientNet-B0 (5.3 M parameters), torchvision's state-dict names. Without `weights`, seeded and not pretrained.
public func efficientnetB0(weights: Weights = .seeded(0)) throws -> EfficientNet { try load(EfficientNet.b0(), weights: weights) }

/// An unknown model name.
public struct ModelNameError: KilnError {
    public let name: String
    public init(_ name: String) { self.name = name }
    public var failureClass: FailureClass { .badInput }
    public var description: String { "unknown model \"\(name)\"" }
    public var suggestion: String? {
        "Suggested fix: use one of \(ModelName.allCases.map(\.rawValue).joined(separator: ", "))"
    }
}

extension ModelName {
    /// Parses a name, throwing ``ModelNameError`` with the list of known names.
    public init(parsing text: String) throws {
        guard let m = ModelName(rawValue: text.lowercased()) else { throw ModelNameError(text) }
        self = m
    }
}
