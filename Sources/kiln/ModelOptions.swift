import ArgumentParser
import Foundation
import Kiln

/// `--model`, `--weights`, `--seed`: which zoo model to build and where its weights come
/// from. Shared by `kiln infer` and `kiln export`.
struct ModelOptions: ParsableArguments {
    @Option(help: "Architecture: resnet18, resnet34 or resnet50.")
    var model: String = "resnet18"

    @Option(help: "torchvision state dict as safetensors. Default: Kiln's seeded initialisation (not pretrained).")
    var weights: String?

    @Option(help: "Seed for the initialisation when --weights is not given.")
    var seed: UInt64 = 0

    /// The parsed architecture name (``ModelNameError`` with the known names otherwise).
    func name() throws -> ModelName { try ModelName(parsing: model) }

    /// Builds the model with its weights; says so when they are seeded, not pretrained.
    func build() throws -> ResNet {
        let name = try name()
        let net = try Kiln.model(name, weights: weights.map { .safetensors(URL(fileURLWithPath: $0)) } ?? .seeded(seed))
        if weights == nil { print("note: \(name.rawValue) with seeded weights (seed \(seed)), not pretrained") }
        return net
    }
}
