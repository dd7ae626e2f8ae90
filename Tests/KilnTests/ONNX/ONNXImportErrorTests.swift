import Foundation
import Testing
@testable import Kiln

/// ``ONNXImportError``'s typed cases: each failure of the importer arrives as its own case with
/// its location as data, the README's failure class, and remedies as ``Fix`` values.
@Suite struct ONNXImportErrorTests {
    static func scratch(_ name: String = #function) -> URL { CompileFixtures.scratch("onnx-errors-" + name) }

    static func importing(_ b: ONNXModelBuilder, _ name: String, shapes: DynamicShapes = HostileONNXTests.shapes) throws -> ONNXImportError? {
        let url = try b.write(to: scratch(name), name: name + ".onnx")
        do {
            _ = try importONNX(url, dynamicShapes: shapes)
        } catch let e as ONNXImportError {
            return e
        }
        return nil
    }

    @Test func unsupportedOperatorsCarryEveryTypeAndNode() throws {
        var b = HostileONNXTests.reluModel()
        b.node("Det", ["y"], ["e1"], name: "det_a")
        b.node("Det", ["e1"], ["e2"], name: "det_b")
        b.node("NonMaxSuppression", ["e2"], ["n"], name: "nms")
        b.output("n")
        let e = try #require(try Self.importing(b, "ops"))
        guard case let .unsupportedOperators(file, opset, operators, supported) = e else { Issue.record("got \(e)"); return }
        #expect(file.hasSuffix("ops.onnx") && opset == 13)
        #expect(operators == [ONNXUnsupportedOperator(opType: "Det", nodes: ["det_a", "det_b"]),
                              ONNXUnsupportedOperator(opType: "NonMaxSuppression", nodes: ["nms"])])
        #expect(supported.contains("Conv") && !supported.contains("Det"))
        #expect(e.failureClass == .badInput)
        #expect(e.suggestion?.hasPrefix("Suggested fix: export without them") == true)
    }

    @Test func nodeErrorsAreLocatedAtTheNode() throws {
        var b = HostileONNXTests.reluModel()
        b.initializer("w", dims: [3], floats: [1, 2, 3])
        b.node("Add", ["y", "w"], ["z"], name: "bad_add")
        b.output("z")
        let e = try #require(try Self.importing(b, "shape"))
        guard case let .shapeMismatch(at, problem) = e else { Issue.record("got \(e)"); return }
        #expect(at.node == "\"bad_add\" (Add)" && at.opset == 13 && at.file.hasSuffix("shape.onnx"))
        #expect(problem.contains("do not broadcast"))
        #expect(e.description == "\(at.file): node \"bad_add\" (Add), opset 13: \(problem)")

        var conv3d = HostileONNXTests.reluModel()
        conv3d.initializer("w", dims: [1, 1, 1, 1, 1], floats: [1])
        conv3d.node("Conv", ["y", "w"], ["c"], name: "c3")
        let f = try #require(try Self.importing(conv3d, "conv3d"))
        guard case let .unsupportedFeature(where3d, problem3d, _) = f else { Issue.record("got \(f)"); return }
        #expect(where3d.node == "\"c3\" (Conv)" && problem3d.contains("3-D convolution"))
        #expect(f.fixes.count == 1 && f.failureClass == .badInput)
    }

    @Test func graphAndTensorErrorsAreTheirOwnCases() throws {
        var undefined = HostileONNXTests.reluModel()
        undefined.node("Add", ["y", "nowhere"], ["z"], name: "adder")
        let u = try #require(try Self.importing(undefined, "undefined"))
        guard case let .invalidGraph(at, problem, _) = u else { Issue.record("got \(u)"); return }
        #expect(at.node == nil && problem.contains("\"nowhere\""))

        var tensor = HostileONNXTests.reluModel()
        tensor.initializer("w", dims: [-3, 4], floats: [1, 2])
        tensor.node("Add", ["y", "w"], ["z"])
        let t = try #require(try Self.importing(tensor, "tensor"))
        guard case let .invalidTensor(_, name, _) = t else { Issue.record("got \(t)"); return }
        #expect(name == "initializer \"w\"")

        var big = HostileONNXTests.reluModel()
        big.initializer("w", dims: [1 << 20, 1 << 20, 1 << 20], floats: [1])
        big.node("Add", ["y", "w"], ["z"])
        let l = try #require(try Self.importing(big, "big"))
        guard case let .limitExceeded(_, _, limit, bound, _) = l else { Issue.record("got \(l)"); return }
        #expect(limit == .maxTensorElements && bound == ONNXImportLimits.default.maxTensorElements)
        #expect(l.fixes.contains(.raiseLimit(name: "maxTensorElements", bound: bound)))
        #expect(l.suggestion?.contains("ONNXImportLimits whose maxTensorElements exceeds") == true)

        var external = HostileONNXTests.reluModel()
        external.external("w", dims: [4], location: "../../etc/passwd")
        external.node("Add", ["y", "w"], ["z"])
        let x = try #require(try Self.importing(external, "external"))
        guard case let .externalData(_, name, location, _, _) = x else { Issue.record("got \(x)"); return }
        #expect(name == "initializer \"w\"" && location == "../../etc/passwd")
    }

    @Test func fileErrorsNameTheFile() throws {
        let dir = Self.scratch()
        let absent = dir.appendingPathComponent("absent.onnx")
        #expect(throws: ONNXImportError.unreadable(file: absent.displayPath, reason: "no such file")) { _ = try importONNX(absent) }
        let e = ONNXImportError.unreadable(file: "m/absent.onnx", reason: "no such file")
        #expect(e.fixes == [.advice("check the path of the .onnx file")])
        let garbage = dir.appendingPathComponent("garbage.onnx")
        try Data("not a model at all".utf8).write(to: garbage)
        do { _ = try importONNX(garbage); Issue.record("garbage imported") } catch let e as ONNXImportError {
            guard case let .malformed(at, problem, _) = e else { Issue.record("got \(e)"); return }
            #expect(at == ONNXLocation(file: garbage.displayPath) && problem.hasPrefix("not a valid ONNX model"))
        }
    }

    /// What the caller asks of the shapes: exit 67, each case with its data and the fix the
    /// CLI spells as `--dynamic-batch` or dropping it.
    @Test func dynamicShapeRequestsAreShapeCases() throws {
        let b = HostileONNXTests.reluModel()
        let dir = Self.scratch()
        let url = try b.write(to: dir)
        func failure(_ body: () throws -> Void) -> ONNXImportError? {
            do { try body() } catch let e as ONNXImportError { return e } catch { Issue.record("\(error)") }
            return nil
        }
        let missing = try #require(failure { _ = try importONNX(url) })
        guard case let .batchNeedsRange(_, input, parameter, suggested) = missing else { Issue.record("got \(missing)"); return }
        #expect(input == "x" && parameter == "batch" && suggested == ["x": [0: Dim("batch", min: 1, max: 32)]])
        #expect(missing.fixes == [.importBatchRange(name: "batch", min: 1, max: 32)] && missing.failureClass == .shape)

        var fixed = ONNXModelBuilder()
        fixed.input("x", [2, 4])
        fixed.node("Relu", ["x"], ["y"])
        fixed.output("y")
        let staticURL = try fixed.write(to: dir, name: "static.onnx")
        let stat = try #require(failure { _ = try importONNX(staticURL, batch: Dim("batch", max: 8)) })
        guard case let .staticBatch(_, _, dimension, size, requested, _) = stat else { Issue.record("got \(stat)"); return }
        #expect(dimension == 0 && size == 2 && requested == Dim("batch", max: 8))
        #expect(stat.fixes.first == .importStaticBatch && stat.failureClass == .shape)

        let unknown = try #require(failure { _ = try importONNX(url, dynamicShapes: ["y": [0: Dim("b", max: 2)]]) })
        #expect(unknown == .unknownInput(file: url.displayPath, requested: "y", inputs: ["x"], without: [:]))
        let second = try #require(failure { _ = try importONNX(url, dynamicShapes: ["x": [0: Dim("b", max: 2), 1: Dim("c", max: 2)]]) })
        guard case .nonBatchDimension(_, "x", 1, _) = second else { Issue.record("got \(second)"); return }
        let empty = try #require(failure { _ = try importONNX(url, batch: Dim("batch", min: 5, max: 3)) })
        guard case .invalidDim = empty else { Issue.record("got \(empty)"); return }
        #expect(empty.fixes == [.importBatchRange(name: "batch", min: 3, max: 3)] && empty.failureClass == .shape)
    }
}
