import Foundation
import Testing
@testable import Kiln

/// Hostile Equal, Where, Mod and Expand nodes and batch-moving graphs: typed ONNXImportErrors
/// naming the node and opset (with a `Suggested fix:` unless the shapes themselves are
/// wrong), never a crash or a huge allocation.
@Suite struct HostileONNXShapeArithmeticTests {
    typealias Ops = HostileONNXOpsTests

    /// Shape(x) = [batch, 2, 4, 4] as "s".
    static func withShape(_ build: @escaping (inout ONNXModelBuilder) -> Void) -> ONNXModelBuilder {
        Ops.image { b in
            b.node("Shape", ["x"], ["s"])
            build(&b)
        }
    }

    @Test func whereWithMismatchedShapesIsAShapeError() throws {
        let vectors = try Ops.refusal(Self.withShape { b in
            b.initializer("c", dims: [3], int64s: [1, 0, 1])
            b.initializer("k", dims: [2], int64s: [7, 7])
            b.node("Where", ["c", "s", "k"], ["t"], name: "w")
            b.node("Reshape", ["x", "t"], ["y"])
        })
        #expect(vectors.kind == .shapeMismatch && vectors.description.contains("\"w\" (Where), opset 19"), "\(vectors)")
        let matrices = try Ops.refusal(Ops.image { b in
            b.initializer("c", dims: [2, 3], int64s: [1, 0, 1, 0, 1, 0])
            b.initializer("p", dims: [3, 2], floats: [1, 2, 3, 4, 5, 6])
            b.node("Where", ["c", "p", "p"], ["t"], name: "w2")
            b.node("Add", ["x", "t"], ["y"])
        })
        #expect(matrices.kind == .shapeMismatch && matrices.description.contains("do not broadcast"), "\(matrices)")
    }

    @Test func modByZeroInShapeArithmeticIsAShapeError() throws {
        let e = try Ops.refusal(Self.withShape { b in
            b.initializer("z", dims: [1], int64s: [0])
            b.node("Mod", ["s", "z"], ["t"], name: "mod0")
            b.node("Reshape", ["x", "t"], ["y"])
        })
        #expect(e.kind == .shapeMismatch && e.description.contains("Mod by zero") && e.description.contains("\"mod0\" (Mod)"), "\(e)")
        let batch = try Ops.refusal(Self.withShape { b in
            b.initializer("three", dims: [1], int64s: [3])
            b.node("Mod", ["s", "three"], ["t"], name: "mod3")
            b.node("Reshape", ["x", "t"], ["y"])
        })
        #expect(batch.kind == .unsupportedAttribute && batch.description.contains("depends on the batch"), "\(batch)")
    }

    @Test func expandToIncompatibleNegativeOrHugeShapesIsRefused() throws {
        let incompatible = try Ops.refusal(Ops.image { b in
            b.initializer("t", dims: [4], int64s: [1, 3, 4, 4])
            b.node("Expand", ["x", "t"], ["y"], name: "e1")
        })
        #expect(incompatible.kind == .shapeMismatch && incompatible.description.contains("cannot become 3"), "\(incompatible)")
        let negative = try Ops.refusal(Ops.image { b in
            b.initializer("t", dims: [4], int64s: [1, 2, -4, 4])
            b.node("Expand", ["x", "t"], ["y"], name: "e2")
        })
        #expect(negative.kind == .shapeMismatch && negative.description.contains("negative"), "\(negative)")
        let huge = try Ops.refusal(Ops.image { b in
            b.initializer("one", dims: [1], floats: [1])
            b.initializer("t", dims: [2], int64s: [1 << 20, 1 << 20])
            b.node("Expand", ["one", "t"], ["big"], name: "e3")
            b.node("Add", ["x", "big"], ["y"])
        })
        guard case let .limitExceeded(at, _, limit, _, _) = huge else { Issue.record("got \(huge)"); return }
        #expect(at.node == "\"e3\" (Expand)" && limit == .maxTensorElements)
    }

    @Test func equalWhereAndModOfRunTimeTensorsAreRefusedWithAFix() throws {
        for op in ["Equal", "Mod"] {
            let e = try Ops.refusal(Ops.image { b in b.node(op, ["x", "x"], ["y"], name: "rt") }, op)
            #expect(e.kind == .unsupportedAttribute && e.description.contains("\"rt\" (\(op)), opset 19") && e.description.contains("without booleans"), "\(e)")
        }
        let w = try Ops.refusal(Ops.image { b in b.node("Where", ["x", "x", "x"], ["y"], name: "rw") })
        #expect(w.kind == .unsupportedAttribute && w.description.contains("condition is computed at run time"), "\(w)")
    }

    /// A batch moved out of dimension 0 is followed through Transpose; an op that cannot
    /// follow it names itself.
    @Test func aMovedBatchReachingAnElementwiseOpIsRefused() throws {
        let e = try Ops.refusal(Ops.image { b in
            b.node("Transpose", ["x"], ["t"], ints: ["perm": [1, 0, 2, 3]])
            b.node("Relu", ["t"], ["y"], name: "relu")
        })
        #expect(e.kind == .unsupportedAttribute && e.description.contains("\"relu\" (Relu)") && e.description.contains("in dimension 1"), "\(e)")
    }
}
