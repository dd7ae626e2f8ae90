import Foundation
import Testing
@testable import Kiln

@Suite struct ZooTests {
    /// Parameter counts of torchvision's models (`sum(p.numel() for p in m.parameters())`).
    @Test(arguments: [(ModelName.resnet18, 11_689_512), (.resnet34, 21_797_672), (.resnet50, 25_557_032),
                      (.mobilenetV2, 3_504_872), (.efficientnetB0, 5_288_548)])
    func parameterCountsMatchTorchvision(name: ModelName, count: Int) {
        #expect(name.build().parameterCount == count)
    }

    @Test func keysAreTorchvisionStateDictKeys() {
        let keys = ModelName.resnet18.build().namedParameters().map(\.0)
        // torchvision's resnet18 state dict: 20 convs, 20 batch norms × 4, fc × 2 (plus 20
        // num_batches_tracked that Kiln does not keep).
        #expect(keys.count == 102)
        for k in ["conv1.weight", "bn1.running_var", "layer1.0.conv2.weight", "layer2.0.downsample.0.weight",
                  "layer2.0.downsample.1.running_mean", "layer4.1.bn2.bias", "fc.weight", "fc.bias"] {
            #expect(keys.contains(k), "missing \(k)")
        }
        let r50 = ModelName.resnet50.build().namedParameters().map(\.0)
        #expect(r50.contains("layer3.5.conv3.weight") && r50.contains("layer1.0.downsample.0.weight"))
        #expect(ModelName.resnet50.build().namedParameters().first { $0.0 == "layer1.0.conv3.weight" }?.1.shape == [256, 64, 1, 1])
    }

    @Test func seededInitialisationIsDeterministicAndTorchvisionStyle() throws {
        let a = try resnet18(weights: .seeded(7)), b = try resnet18(weights: .seeded(7)), c = try resnet18(weights: .seeded(8))
        #expect(a.conv1.weight.value.scalars == b.conv1.weight.value.scalars)
        #expect(a.conv1.weight.value.scalars != c.conv1.weight.value.scalars)
        // kaiming_normal_(fan_out): std √(2/(64·7·7)) ≈ 0.02525
        let w = a.conv1.weight.value.scalars
        let std = (w.map { $0 * $0 }.reduce(0, +) / Float(w.count)).squareRoot()
        #expect(abs(std - 0.02525) < 0.001)
        #expect(a.bn1.runningVar.value.scalars.allSatisfy { $0 == 1 })
        #expect(a.fc.weight.value.maxAbs <= 1 / Float(512).squareRoot())
        let y = try a(Tensor.randn([1, 3, 32, 32], seed: 0))
        #expect(y.shape == [1, 1000])
    }

    @Test func strictLoadingReportsEveryProblemAtOnce() throws {
        let net = ModelName.resnet18.buildResNet()!
        var dict = Dictionary(uniqueKeysWithValues: net.stateDict())
        dict["fc.bias"] = nil
        dict["layer1.0.bn1.weight"] = nil
        dict["extra.weight"] = .zeros([1])
        dict["fc.weight"] = .zeros([10, 512])
        dict["bn1.num_batches_tracked"] = .zeros([])   // ignored, as torchvision saves it
        let before = net.conv1.weight.value.scalars
        let error = try #require(throws: WeightsMismatchError.self) { try net.loadStateDict(dict, source: "w.safetensors") }
        #expect(error.missing == ["layer1.0.bn1.weight", "fc.bias"])
        #expect(error.unexpected == ["extra.weight"])
        #expect(error.misshaped.map(\.key) == ["fc.weight"])
        #expect(error.description.contains("w.safetensors"))
        #expect(error.description.contains("fc.weight: model expects [1000, 512], file has [10, 512]"))
        #expect(net.conv1.weight.value.scalars == before, "a failed load must change nothing")
    }

    @Test func shapeErrorsNameTheModule() throws {
        let net = try resnet18()
        #expect(throws: ShapeError.self) { try net(Tensor.zeros([1, 4, 32, 32])) }
        #expect(throws: ShapeError.self) { try net(Tensor.zeros([0, 3, 32, 32])) }
        let e = try #require(throws: ShapeError.self) { try net.layer1(Tensor.zeros([1, 3, 8, 8])) }
        #expect(e.description.contains("layer1.0.conv1"))
        #expect(throws: ModelNameError.self) { try ModelName(parsing: "resnet19") }
    }

    /// torchvision's keys (as its state dicts name them) and the CLI's names.
    @Test func mobileNetAndEfficientNetKeysAreTorchvisions() throws {
        let m = Dictionary(uniqueKeysWithValues: ModelName.mobilenetV2.build().namedParameters().map { ($0.0, $0.1.shape) })
        #expect(m.count == 262)
        #expect(m["features.0.0.weight"] == [32, 3, 3, 3])
        #expect(m["features.1.conv.0.0.weight"] == [32, 1, 3, 3])
        #expect(m["features.2.conv.1.0.weight"] == [96, 1, 3, 3])
        #expect(m["features.17.conv.3.running_var"] == [320])
        #expect(m["features.18.1.bias"] == [1280])
        #expect(m["classifier.1.weight"] == [1000, 1280])
        let e = Dictionary(uniqueKeysWithValues: ModelName.efficientnetB0.build().namedParameters().map { ($0.0, $0.1.shape) })
        #expect(e.count == 311)
        #expect(e["features.1.0.block.1.fc1.weight"] == [8, 32, 1, 1])
        #expect(e["features.3.0.block.1.0.weight"] == [144, 1, 5, 5])
        #expect(e["features.6.3.block.2.fc2.bias"] == [1152])
        #expect(e["features.8.0.weight"] == [1280, 320, 1, 1])
        #expect(e["classifier.1.bias"] == [1000])
        #expect(try ModelName(parsing: "MobileNet_V2") == .mobilenetV2)
        #expect(try ModelName(parsing: "efficientnet_b0") == .efficientnetB0)
    }
}
