import Foundation
import Testing
@testable import Kiln

@Suite struct ExportCaptureTests {
    /// (model, nodes, conv2d, batch_norm, relu, add, lifted parameters, buffers)
    @Test(arguments: [(ModelName.resnet18, 69, 20, 20, 17, 8, 62, 40),
                      (.resnet34, 125, 36, 36, 33, 16, 110, 72),
                      (.resnet50, 175, 53, 53, 49, 16, 161, 106)])
    func capturesResNets(name: ModelName, nodes: Int, convs: Int, bns: Int, relus: Int, adds: Int, params: Int, buffers: Int) throws {
        let net = name.build()
        let program = try export(net, exampleInputs: [.zeros([2, 3, 224, 224])], dynamicShapes: ExportFixtures.batch2to32)
        let g = program.graph
        #expect(g.nodes.count == nodes)
        #expect(g.count(of: .conv2d) == convs && g.count(of: .batchNorm) == bns && g.count(of: .relu) == relus && g.count(of: .add) == adds)
        #expect(g.count(of: .maxPool2d) == 1 && g.count(of: .adaptiveAvgPool2d) == 1 && g.count(of: .flatten) == 1 && g.count(of: .linear) == 1)
        // The batch is the symbol everywhere, never specialised.
        #expect(g.nodes.allSatisfy { $0.shape.first == .symbol("s0") && $0.shape.dropFirst().allSatisfy { $0.staticValue != nil } })
        #expect(program.signature.inputs == [GraphInput(name: "x", shape: [.symbol("s0"), .static(3), .static(224), .static(224)])])
        #expect(program.signature.outputs == ["fc"])
        #expect(g.nodes.last?.shape == [.symbol("s0"), .static(1000)])
        #expect(program.rangeConstraints == [RangeConstraint(symbol: "s0", dimName: "batch", min: 2, max: 32)])
        // Every parameter and buffer is lifted under its torchvision key, parameters first.
        #expect(program.signature.parameters.count == params && program.signature.buffers.count == buffers)
        #expect(Set(program.signature.constants.map(\.name)) == Set(net.namedParameters().map(\.0)))
        #expect(program.signature.constants.prefix(params).allSatisfy { $0.kind == .parameter })
        #expect(program.signature.buffers.allSatisfy { $0.name.hasSuffix("running_mean") || $0.name.hasSuffix("running_var") })
        #expect(program.stateDict.count == params + buffers)
        #expect(program.modelName == name.rawValue)
        #expect(program.graphHash.count == 16)
    }

    @Test func namesNodesLikeTorchExport() throws {
        let program = try export(ModelName.resnet18.build(), exampleInputs: [.zeros([2, 3, 224, 224])],
                                 dynamicShapes: ExportFixtures.batch2to32)
        let names = program.graph.nodes.map(\.name)
        for n in ["conv1", "bn1", "relu", "maxpool", "layer1_0_conv1", "layer1_0_relu", "layer1_0_relu_1", "add", "add_7",
                  "layer2_0_downsample_0", "layer2_0_downsample_1", "avgpool", "flatten", "fc"] {
            #expect(names.contains(n), "missing node \(n)")
        }
        #expect(Set(names).count == names.count)
        let conv = try #require(program.graph.nodes.first { $0.name == "layer1_0_conv1" })
        #expect(ExportedProgram.line(conv) == "%layer1_0_conv1 = conv2d(%maxpool, %layer1.0.conv1.weight) {stride: 1, padding: 1} : [s0, 64, 56, 56]")
        let add = try #require(program.graph.nodes.first { $0.name == "add_2" })   // layer2.0: main branch + downsample
        #expect(add.inputs == ["layer2_0_bn2", "layer2_0_downsample_1"])
        #expect(program.description.contains("s0: 2…32 (Dim \"batch\")"))
    }

    @Test func exampleBatchOfOneWithMinOneExports() throws {
        let program = try export(ModelName.resnet18.build(), exampleInputs: [.zeros([1, 3, 64, 64])],
                                 dynamicShapes: ["x": [0: Dim("batch", min: 1, max: 32)]])
        #expect(program.rangeConstraints == [RangeConstraint(symbol: "s0", dimName: "batch", min: 1, max: 32)])
        #expect(program.graph.nodes.allSatisfy { $0.shape.first == .symbol("s0") })
    }

    @Test func withoutDimsEveryDimensionIsStatic() throws {
        let program = try export(ExportFixtures.smallModel(), exampleInputs: [.zeros([3, 3, 8, 8])])
        #expect(program.rangeConstraints.isEmpty)
        #expect(program.graph.nodes.allSatisfy { $0.shape.first == .static(3) })
        #expect(program.description.contains("(none: every dimension is static)"))
        #expect(throws: InputGuardError.self) { try program.run([.zeros([2, 3, 8, 8])]) }
    }

    @Test func smallModelCoversEveryOpWithBias() throws {
        let program = try export(ExportFixtures.smallModel(), exampleInputs: [.zeros([2, 3, 8, 8])],
                                 dynamicShapes: ["x": [0: Dim("n", max: 4)]])
        #expect(program.graph.nodes.map(\.op) == [.conv2d, .batchNorm, .relu, .maxPool2d, .adaptiveAvgPool2d, .flatten, .linear])
        #expect(program.graph.nodes.map(\.name) == ["0", "1", "2", "3", "4", "5", "6"])
        #expect(program.graph.nodes[0].inputs == ["x", "0.weight", "0.bias"])
        #expect(program.signature.buffers.map(\.name) == ["1.running_mean", "1.running_var"])
    }

    @Test func exportingASubmoduleUsesKeysRelativeToIt() throws {
        let net = try resnet18()
        let program = try export(net.layer2, exampleInputs: [.zeros([2, 64, 16, 16])], dynamicShapes: ExportFixtures.batch2to32)
        #expect(program.signature.constants.first?.name == "0.conv1.weight")
        #expect(program.graph.nodes.first?.name == "0_conv1")
        #expect(program.signature.outputs == ["1_relu_1"])
        #expect(net.layer2.path == "layer2", "export must not change the model's paths")
    }
}
