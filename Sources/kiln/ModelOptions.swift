import ArgumentParser
import Foundation
import Kiln

/// `--model`, `--weights`, `--seed`: which zoo model to build and where its weights come
/// from. Shared by `kiln infer` and `kiln export`.
struct ModelOptions: ParsableArguments {
    @Option(help: "Architecture: resnet18, resnet34, resnet50, mobilenet_v2 or efficientnet_b0.")
    var model: String = "resnet18"

    @Option(help: "torchvision state dict: safetensors, or a torch.save .pth/.pt (told by content). Default: Kiln's seeded initialisation (not pretrained).")
    var weights: String?

    @Option(help: "For a .pth --weights: the checkpoint key holding the state dict (default: state_dict or model when present, else the top level).")
    var stateDictKey: String?

    @Option(help: "For a .pth --weights: a prefix stripped from every key (e.g. module. from DataParallel).")
    var stripPrefix: String = ""

    @Option(help: "Seed for the initialisation when --weights is not given.")
    var seed: UInt64 = 0

    /// The parsed architecture name (``ModelNameError`` with the known names otherwise).
    func name() throws -> ModelName { try ModelName(parsing: model) }

    /// Builds the model with its weights; says so when they are seeded, not pretrained.
    func build() throws -> Module {
        let name = try name()
        let net = try Kiln.model(name, weights: weightsSource())
        if weights == nil { print("note: \(name.rawValue) with seeded weights (seed \(seed)), not pretrained") }
        return net
    }

    /// Where the weights come from: the --weights file (format told by its first bytes), or
    /// the seeded initialisation.
    func weightsSource() -> Weights {
        guard let weights else { return .seeded(seed) }
        return .file(URL(fileURLWithPath: weights),
                     pytorchOptions: PyTorchCheckpoint.Options(stateDictKey: stateDictKey, stripPrefix: stripPrefix))
    }
}
