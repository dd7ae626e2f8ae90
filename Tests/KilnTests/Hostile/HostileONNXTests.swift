import Foundation
import Testing
@testable import Kiln

/// Hostile ONNX files: each refused with a typed ``ONNXImportError`` (exit 65, or 67 for
/// dynamic-shape requests) naming what is wrong, never a crash, never a read outside the
/// model's folder.
@Suite struct HostileONNXTests {
    /// x: [batch, 4] → Relu → y.
    static func reluModel() -> ONNXModelBuilder {
        var b = ONNXModelBuilder()
        b.input("x", ["batch", 4])
        b.node("Relu", ["x"], ["y"])
        b.output("y")
        return b
    }

    static let shapes: DynamicShapes = ["x": [0: Dim("batch", min: 1, max: 4)]]

    @Test func truncatedProtobufIsMalformed() throws {
        let bytes = try Data(contentsOf: ONNXFixtures.model("mobilenet_like"))
        let dir = Hostile.directory()
        for cut in [bytes.count / 2, 7, bytes.count - 1] {
            let url = dir.appendingPathComponent("cut\(cut).onnx")
            try bytes.prefix(cut).write(to: url)
            Hostile.expectFailure(ONNXImportError.self, .badInput, naming: ["cut\(cut).onnx"]) { _ = try importONNX(url, dynamicShapes: ONNXFixtures.batch) }
        }
    }

    @Test func garbageBytesAreMalformed() throws {
        let dir = Hostile.directory()
        var rng = SystemRandomNumberGenerator()
        for k in 0..<20 {
            let url = dir.appendingPathComponent("garbage\(k).onnx")
            try Data((0..<(64 + k * 97)).map { _ in UInt8.random(in: 0...255, using: &rng) }).write(to: url)
            Hostile.expectFailure(ONNXImportError.self, .badInput, naming: ["garbage\(k).onnx"]) { _ = try importONNX(url) }
        }
        let empty = dir.appendingPathComponent("empty.onnx")
        try Data().write(to: empty)
        Hostile.expectFailure(ONNXImportError.self, .badInput, naming: ["no graph"]) { _ = try importONNX(empty) }
        Hostile.expectFailure(ONNXImportError.self, .badInput, naming: ["no such file"]) { _ = try importONNX(dir.appendingPathComponent("absent.onnx")) }
    }

    @Test func cyclesUndefinedAndDuplicatedNamesAreInvalidGraphs() throws {
        let dir = Hostile.directory()
        var cycle = ONNXModelBuilder()
        cycle.input("x", [1, 4])
        cycle.node("Add", ["x", "b"], ["a"], name: "first")
        cycle.node("Relu", ["a"], ["b"], name: "second")
        cycle.output("b")
        let e = Hostile.expectFailure(ONNXImportError.self, .badInput, naming: ["cycle", "\"first\" (Add)", "\"second\" (Relu)"]) {
            _ = try importONNX(try cycle.write(to: dir, name: "cycle.onnx"))
        }
        #expect(e?.kind == .invalidGraph)

        var undefined = Self.reluModel()
        undefined.node("Add", ["y", "nowhere"], ["z"], name: "adder")
        Hostile.expectFailure(ONNXImportError.self, .badInput, naming: ["\"adder\" (Add)", "\"nowhere\""]) {
            _ = try importONNX(try undefined.write(to: dir, name: "undefined.onnx"), dynamicShapes: Self.shapes)
        }
        var duplicated = Self.reluModel()
        duplicated.node("Relu", ["x"], ["y"], name: "again")
        Hostile.expectFailure(ONNXImportError.self, .badInput, naming: ["\"y\" is defined twice"]) {
            _ = try importONNX(try duplicated.write(to: dir, name: "duplicated.onnx"), dynamicShapes: Self.shapes)
        }
    }

    @Test func negativeAndHugeDimensionsAreRefused() throws {
        let dir = Hostile.directory()
        for dims: [Int64] in [[-3, 4], [1 << 40], [1 << 20, 1 << 20, 1 << 20]] {
            var b = Self.reluModel()
            b.initializer("w", dims: dims, floats: [1, 2])
            b.node("Add", ["y", "w"], ["z"])
            Hostile.expectFailure(ONNXImportError.self, .badInput, naming: ["initializer \"w\""]) {
                _ = try importONNX(try b.write(to: dir, name: "dims.onnx"), dynamicShapes: Self.shapes)
            }
        }
        var input = ONNXModelBuilder()
        input.input("x", [-2, 4])
        input.node("Relu", ["x"], ["y"])
        input.output("y")
        Hostile.expectFailure(ONNXImportError.self, .badInput, naming: ["dimension 0 of size -2"]) {
            _ = try importONNX(try input.write(to: dir, name: "negative-input.onnx"))
        }
    }

    @Test func shapeMismatchNamesTheNode() throws {
        let dir = Hostile.directory()
        var b = Self.reluModel()
        b.initializer("w", dims: [3], floats: [1, 2, 3])
        b.node("Add", ["y", "w"], ["z"], name: "bad_add")
        b.output("z")
        let e = Hostile.expectFailure(ONNXImportError.self, .badInput, naming: ["\"bad_add\" (Add)", "opset 13", "do not broadcast"]) {
            _ = try importONNX(try b.write(to: dir, name: "mismatch.onnx"), dynamicShapes: Self.shapes)
        }
        #expect(e?.kind == .shapeMismatch)
    }

    /// A graph output whose batch a Transpose moved off dimension 0 (found by the ONNX fuzzer:
    /// the refusal read the current node after the last one, and trapped).
    @Test func graphOutputWithTheBatchMovedIsRefused() throws {
        let dir = Hostile.directory()
        var b = ONNXModelBuilder()
        b.input("x", ["batch", 3, 4])
        b.node("Transpose", ["x"], ["y"], ints: ["perm": [1, 0, 2]])
        b.output("y")
        let e = Hostile.expectFailure(ONNXImportError.self, .badInput, naming: ["moved.onnx", "\"y\" has the batch"]) {
            _ = try importONNX(try b.write(to: dir, name: "moved.onnx"), dynamicShapes: ["x": [0: Dim("batch", min: 1, max: 4)]])
        }
        #expect(e?.kind == .unsupportedAttribute)
        #expect(e?.suggestion?.contains("before the graph's output") == true, "\(String(describing: e?.suggestion))")
    }

    @Test func unsupportedOperatorsAreListedAtOnce() throws {
        let dir = Hostile.directory()
        var b = Self.reluModel()
        b.node("Det", ["y"], ["e1"], name: "det_a")
        b.node("Det", ["e1"], ["e2"], name: "det_b")
        b.node("NonMaxSuppression", ["e2"], ["n"], name: "nms")
        b.output("n")
        let e = Hostile.expectFailure(ONNXImportError.self, .badInput, naming: ["Det (\"det_a\", \"det_b\")", "NonMaxSuppression (\"nms\")", "opset 13"]) {
            _ = try importONNX(try b.write(to: dir, name: "unsupported.onnx"), dynamicShapes: Self.shapes)
        }
        #expect(e?.kind == .unsupportedOps)

        var conv3d = Self.reluModel()
        conv3d.initializer("w", dims: [1, 1, 1, 1, 1], floats: [1])
        conv3d.node("Conv", ["y", "w"], ["c"], name: "c3")
        Hostile.expectFailure(ONNXImportError.self, .badInput, naming: ["\"c3\" (Conv)", "3-D convolution"]) {
            _ = try importONNX(try conv3d.write(to: dir, name: "conv3d.onnx"), dynamicShapes: Self.shapes)
        }
    }

    @Test func dynamicShapeRequestsThatDoNotFit() throws {
        let dir = Hostile.directory()
        let url = try Self.reluModel().write(to: dir)
        let missing = Hostile.expectFailure(ONNXImportError.self, .shape, naming: ["\"batch\"", "needs a range"]) { _ = try importONNX(url) }
        #expect(missing?.suggestion?.contains("Dim(\"batch\", min: 1, max: 32)") == true)
        var fixed = ONNXModelBuilder()
        fixed.input("x", [2, 4])
        fixed.node("Relu", ["x"], ["y"])
        fixed.output("y")
        let staticURL = try fixed.write(to: dir, name: "static.onnx")
        Hostile.expectFailure(ONNXImportError.self, .shape, naming: ["is static (2)"]) { _ = try importONNX(staticURL, batch: Dim("batch", max: 8)) }
        Hostile.expectFailure(ONNXImportError.self, .shape, naming: ["\"y\""]) { _ = try importONNX(url, dynamicShapes: ["y": [0: Dim("b", max: 2)]]) }
        Hostile.expectFailure(ONNXImportError.self, .shape, naming: ["dimension 1"]) { _ = try importONNX(url, dynamicShapes: ["x": [0: Dim("b", max: 2), 1: Dim("c", max: 2)]]) }
    }

    /// y = x + w with w in an external data file.
    static func externalModel(_ location: String, offset: Int? = nil, length: Int? = nil) -> ONNXModelBuilder {
        var b = Self.reluModel()
        b.external("w", dims: [4], location: location, offset: offset, length: length)
        b.node("Add", ["y", "w"], ["z"])
        b.outputs = []
        b.output("z")
        return b
    }

    @Test func externalDataLoadsFromTheModelsFolder() throws {
        let dir = Hostile.directory()
        let values: [Float] = [1, -2, 3.5, 4]
        var bytes = Data(repeating: 0xAB, count: 8)
        for v in values { withUnsafeBytes(of: v.bitPattern.littleEndian) { bytes.append(contentsOf: $0) } }
        try FileManager.default.createDirectory(at: dir.appendingPathComponent("data"), withIntermediateDirectories: true)
        try bytes.write(to: dir.appendingPathComponent("data/weights.bin"))
        let p = try importONNX(try Self.externalModel("data/weights.bin", offset: 8, length: 16).write(to: dir), dynamicShapes: Self.shapes)
        let y = try p.run([Tensor(shape: [1, 4], values: [0, 0, 0, 0])])[0]
        #expect(y.scalars == values)   // relu(0) + w
    }

    @Test func externalDataEscapingTheFolderIsRefused() throws {
        let dir = Hostile.directory()
        let model = dir.appendingPathComponent("m")
        try FileManager.default.createDirectory(at: model, withIntermediateDirectories: true)
        try Data(count: 64).write(to: dir.appendingPathComponent("outside.bin"))
        try FileManager.default.createSymbolicLink(atPath: model.appendingPathComponent("link.bin").path, withDestinationPath: "/etc/passwd")
        try FileManager.default.createSymbolicLink(atPath: model.appendingPathComponent("sub").path, withDestinationPath: dir.path)
        try Data(count: 8).write(to: model.appendingPathComponent("short.bin"))
        let cases: [(String, Int?, Int?, String)] = [
            ("../../etc/passwd", nil, nil, "\"..\""), ("../outside.bin", nil, 16, "\"..\""), ("/etc/passwd", nil, nil, "absolute path"),
            ("link.bin", nil, 16, "outside the model's folder"), ("sub/outside.bin", nil, 16, "outside the model's folder"),
            ("short.bin", 4, 16, "the file has 8"), ("absent.bin", nil, 16, "does not exist"), ("short.bin", nil, 8, "needs 16"),
        ]
        for (location, offset, length, message) in cases {
            let url = try Self.externalModel(location, offset: offset, length: length).write(to: model)
            let e = Hostile.expectFailure(ONNXImportError.self, .badInput, naming: [location, message]) { _ = try importONNX(url, dynamicShapes: Self.shapes) }
            #expect(e?.kind == .externalData, "\(location)")
        }
    }
}
