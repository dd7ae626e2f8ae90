import Foundation
import Testing
@testable import Kiln

/// Hostile `.kep` program files: each is refused with the exact error, exit code 65, the file
/// named, and nothing on disk changed.
///
/// Covered exactly by `ExportProgramFileTests` (exact `ProgramFileError`, path, fix, class):
/// other format version (`otherFormatVersion`), corrupt program JSON (`corruptProgramJSON`),
/// unknown op (`unknownOp`), dangling input (`danglingInput`), shape contradiction
/// (`shapeContradiction`: a recorded shape, a missing attribute, absurd sizes, a symbol
/// without a range), an edited but consistent graph (`editedButConsistentGraphFailsTheHash`)
/// and weights that do not fit the signature. Here: a corrupt container (exact error per
/// corruption) and structurally tampered graphs the other tests do not reach.
@Suite struct HostileProgramTests {
    static let program: ExportedProgram = {
        try! export(ExportFixtures.smallModel(), exampleInputs: [.zeros([2, 3, 8, 8])], dynamicShapes: ["x": [0: Dim("batch", min: 1, max: 4)]])
    }()

    /// Loading `file` fails with `E`; the directory holding it is unchanged afterwards.
    @discardableResult
    private func refuse<E: KilnError>(_ file: URL, _ type: E.Type, sourceLocation: SourceLocation = #_sourceLocation) -> E? {
        let dir = file.deletingLastPathComponent()
        let before = Hostile.contents(of: dir)
        let e = Hostile.expectFailure(E.self, .badInput, naming: [file.path], sourceLocation: sourceLocation) {
            _ = try ExportedProgram(contentsOf: file)
        }
        #expect(Hostile.contents(of: dir) == before, "loading must not change the directory", sourceLocation: sourceLocation)
        return e
    }

    @Test func corruptContainerGivesTheExactSafetensorsError() throws {
        let dir = Hostile.directory()
        let good = dir.appendingPathComponent("good.kep")
        try Self.program.save(to: good)
        let bytes = try Data(contentsOf: good)
        let layout = try SafetensorsFile(contentsOf: good)
        let headerSize = Int(bytes.prefix(8).enumerated().reduce(UInt64(0)) { $0 | UInt64($1.element) << (8 * UInt64($1.offset)) })
        let last = try #require(layout.tensorInfos.last)

        // Cut inside the data: the last tensor's offsets now run past the end.
        let cut = dir.appendingPathComponent("cut.kep")
        try bytes.prefix(bytes.count - 10).write(to: cut)
        let dataSize = bytes.count - 10 - 8 - headerSize
        #expect(refuse(cut, SafetensorsError.self) == .offsetsOutOfRange(path: cut.path, tensor: last.name, begin: UInt64(last.dataOffsets.lowerBound),
                                                                         end: UInt64(last.dataOffsets.upperBound), dataSize: dataSize))
        // Cut inside the header.
        let header = dir.appendingPathComponent("header.kep")
        try bytes.prefix(8 + headerSize / 2).write(to: header)
        #expect(refuse(header, SafetensorsError.self) == .headerSizeBeyondFile(path: header.path, headerSize: UInt64(headerSize),
                                                                               fileSize: 8 + headerSize / 2))
        // A flipped byte at the start of the JSON.
        var flipped = bytes
        flipped[8] = 0xFF
        let bad = dir.appendingPathComponent("flipped.kep")
        try flipped.write(to: bad)
        #expect(refuse(bad, SafetensorsError.self) == .headerNotUTF8(path: bad.path, offset: 0))
        // Zero bytes (an interrupted copy that created the file only).
        let empty = dir.appendingPathComponent("empty.kep")
        try Data().write(to: empty)
        #expect(refuse(empty, SafetensorsError.self) == .fileTooShort(path: empty.path, byteCount: 0))
    }

    @Test func structurallyTamperedGraphsAreRefusedAtLoad() throws {
        let dir = Hostile.directory()
        let p = Self.program
        // Nodes: 0 conv2d, 1 batch_norm, 2 relu, 3 max_pool2d, 4 adaptive_avg_pool2d, 5 flatten, 6 linear.
        try #require(p.graph.nodes.map(\.op) == [.conv2d, .batchNorm, .relu, .maxPool2d, .adaptiveAvgPool2d, .flatten, .linear])
        let cases: [(String, (inout ProgramDescription) -> Void, String)] = [
            ("arity", { $0.graph.nodes[2].inputs.append($0.graph.nodes[1].name) }, "relu takes 1 inputs, got 2"),
            ("cycle", { $0.graph.nodes[1].inputs[0] = $0.graph.nodes[2].name }, "is not defined before it (dangling input)"),
            ("duplicate", { $0.graph.nodes[2].name = $0.graph.nodes[1].name }, "is defined twice"),
            ("stride 0", { $0.graph.nodes[0].attributes.stride = 0 }, "conv2d: invalid stride 0"),
            ("groups", { $0.graph.nodes[0].attributes.groups = 3 }, "conv2d: invalid stride 1, padding 1, dilation 1 or groups 3"),
            ("pool kernel 0", { $0.graph.nodes[3].attributes.kernel = 0 }, "max_pool2d: invalid kernel 0"),
            ("eps < 0", { $0.graph.nodes[1].attributes.eps = -1 }, "batch_norm: eps must be a finite number ≥ 0"),
            ("flatten dim", { $0.graph.nodes[5].attributes.startDim = 9 }, "flatten: input [s0, 4, 1, 1] has no dimension 9"),
            ("negative size", { $0.graph.nodes[4].attributes.outputSize = [-1, 1] }, "output_size must be two sizes ≥ 1"),
            ("weight swap", { $0.graph.nodes[6].inputs[1] = "0.weight" }, "linear: weight must be a static (OUT, IN) matrix"),
            ("output", { $0.signature.outputs = ["nowhere"] }, "output %nowhere is not defined by the graph"),
            ("no inputs", { $0.signature.inputs = [] }, "the signature has no user inputs"),
            ("empty input", { $0.signature.inputs[0].shape[2] = .static(0) }, "input %x: dimension 2 is 0 (an empty input)"),
            // A padding of a million with every later shape re-inferred to match, as a careful
            // tamperer would: 4 x 2000006 x 2000006 elements per image.
            ("huge padding", { d in
                d.graph.nodes[0].attributes.padding = 1_000_000
                var shapes = Dictionary(uniqueKeysWithValues: d.signature.inputs.map { ($0.name, $0.shape) }
                                        + d.signature.constants.map { ($0.name, [SymDim](static: $0.shape)) })
                for i in d.graph.nodes.indices {
                    let n = d.graph.nodes[i]
                    if let s = try? ShapeInference.outputShape(n.op, n.attributes, n.inputs.map { shapes[$0]! }) { d.graph.nodes[i].shape = s }
                    shapes[n.name] = d.graph.nodes[i].shape
                }
            }, "elements per batch row in [s0, 4, 2000006, 2000006], more than the 2147483647 Kiln's kernels can index"),
        ]
        for (name, edit, reason) in cases {
            var d = p.programDescription
            edit(&d)
            let file = dir.appendingPathComponent("\(name.replacingOccurrences(of: " ", with: "-")).kep")
            // The hash is recomputed, as a careful tamperer would: validation must catch it.
            try Safetensors.write(p.orderedStateDict, metadata: [ProgramFileKey.formatVersion: "1",
                                                                 ProgramFileKey.program: d.canonicalJSON(),
                                                                 ProgramFileKey.graphHash: d.hash], to: file)
            let e = refuse(file, ProgramFileError.self)
            guard case .invalidGraph(_, let got)? = e else { Issue.record("\(name): expected invalidGraph, got \(String(describing: e))"); continue }
            #expect(got.contains(reason), "\(name): \(got)")
        }
    }
}
