import Foundation
import Testing
@testable import Kiln

@Suite struct ExportProgramFileTests {
    let directory: URL
    init() throws { directory = try ExportFixtures.temporaryDirectory() }

    private func url(_ name: String) -> URL { directory.appendingPathComponent(name) }

    private func smallProgram() throws -> ExportedProgram {
        try export(ExportFixtures.smallModel(), exampleInputs: [.zeros([2, 3, 8, 8])], dynamicShapes: ["x": [0: Dim("batch", min: 2, max: 8)]])
    }

    /// Writes `program`'s weights with `metadata` edited by `edit`.
    private func writeTampered(_ program: ExportedProgram, to file: URL, weights: [(String, Tensor)]? = nil,
                               _ edit: (inout [String: String]) -> Void) throws {
        var metadata = [ProgramFileKey.formatVersion: "1", ProgramFileKey.program: program.programDescription.canonicalJSON(),
                        ProgramFileKey.graphHash: program.graphHash]
        edit(&metadata)
        try Safetensors.write(weights ?? program.orderedStateDict, metadata: metadata, to: file)
    }

    private func loadError(_ file: URL) throws -> ProgramFileError {
        let e = try #require(throws: ProgramFileError.self) { try ExportedProgram(contentsOf: file) }
        #expect(e.description.contains(file.path), "the error must name the file: \(e)")
        #expect(e.suggestion?.hasPrefix("Suggested fix: ") == true)
        #expect(e.failureClass == .badInput)
        return e
    }

    @Test func resnet18RoundTripKeepsResultsIdentical() throws {
        defer { try? FileManager.default.removeItem(at: directory) }
        let net = ExportFixtures.seededResNet18
        let program = try export(net, exampleInputs: [.zeros([2, 3, 64, 64])], dynamicShapes: ExportFixtures.batch2to32)
        let file = url("resnet18.kep")
        try program.save(to: file)
        let loaded = try ExportedProgram(contentsOf: file)
        #expect(loaded.graph == program.graph && loaded.signature == program.signature && loaded.rangeConstraints == program.rangeConstraints)
        #expect(loaded.graphHash == program.graphHash && loaded.modelName == "resnet18")
        #expect(loaded.description == program.description)
        let x = Tensor.randn([3, 3, 64, 64], seed: 4)
        #expect(try loaded.run([x])[0].scalars == program.run([x])[0].scalars)
        #expect(try loaded.run([x])[0].scalars == net(x).scalars)
        let meta = try SafetensorsFile(contentsOf: file).metadata
        #expect(meta["kiln.format_version"] == "1" && meta["kiln.graph_hash"] == program.graphHash)
    }

    @Test func savingIsDeterministic() throws {
        defer { try? FileManager.default.removeItem(at: directory) }
        let a = url("a.kep"), b = url("b.kep")
        try smallProgram().save(to: a)
        try smallProgram().save(to: b)
        #expect(try Data(contentsOf: a) == Data(contentsOf: b))
    }

    @Test func missingAndCorruptFilesAreSafetensorsErrors() throws {
        defer { try? FileManager.default.removeItem(at: directory) }
        #expect(throws: SafetensorsError.fileNotFound(path: url("none.kep").path)) { try ExportedProgram(contentsOf: url("none.kep")) }
        try Data("not a program at all".utf8).write(to: url("junk.kep"))
        let e = try #require(throws: SafetensorsError.self) { try ExportedProgram(contentsOf: url("junk.kep")) }
        #expect(e.description.contains("junk.kep"))
        // A truncated program.
        try smallProgram().save(to: url("full.kep"))
        let bytes = try Data(contentsOf: url("full.kep"))
        try bytes.prefix(bytes.count - 10).write(to: url("cut.kep"))
        #expect(throws: SafetensorsError.self) { try ExportedProgram(contentsOf: url("cut.kep")) }
    }

    @Test func weightsFileIsNotAProgram() throws {
        defer { try? FileManager.default.removeItem(at: directory) }
        try Safetensors.write(smallProgram().orderedStateDict, to: url("weights.safetensors"))
        #expect(try loadError(url("weights.safetensors")) == .notAProgram(path: url("weights.safetensors").path))
    }

    @Test func otherFormatVersion() throws {
        defer { try? FileManager.default.removeItem(at: directory) }
        for version in ["2", "0", "one"] {
            try writeTampered(smallProgram(), to: url("v.kep")) { $0[ProgramFileKey.formatVersion] = version }
            let e = try loadError(url("v.kep"))
            #expect(e == .unsupportedVersion(path: url("v.kep").path, found: version))
            #expect(e.description.contains("format version \(version)"))
        }
    }

    @Test func corruptProgramJSON() throws {
        defer { try? FileManager.default.removeItem(at: directory) }
        let program = try smallProgram()
        try writeTampered(program, to: url("c.kep")) { $0[ProgramFileKey.program] = "{\"model\": \"small\", \"graph\": " }
        guard case .corruptProgram(_, let reason) = try loadError(url("c.kep")) else { Issue.record("wrong case"); return }
        #expect(reason.contains("not valid JSON"))

        try writeTampered(program, to: url("m.kep")) { $0[ProgramFileKey.program] = nil }
        guard case .corruptProgram = try loadError(url("m.kep")) else { Issue.record("wrong case"); return }

        try writeTampered(program, to: url("f.kep")) { $0[ProgramFileKey.program] = "{\"model\": \"m\"}" }
        guard case .corruptProgram(_, let missing) = try loadError(url("f.kep")) else { Issue.record("wrong case"); return }
        #expect(missing.contains("missing field"))
    }

    @Test func unknownOp() throws {
        defer { try? FileManager.default.removeItem(at: directory) }
        try writeTampered(smallProgram(), to: url("op.kep")) {
            $0[ProgramFileKey.program] = $0[ProgramFileKey.program]!.replacingOccurrences(of: "\"op\":\"relu\"", with: "\"op\":\"cbrt\"")
        }
        guard case .corruptProgram(_, let reason) = try loadError(url("op.kep")) else { Issue.record("wrong case"); return }
        #expect(reason.contains("unknown op \"cbrt\""))
        #expect(reason.contains("graph.nodes[2].op"))
    }

    /// Edits the graph JSON structurally, keeping it decodable.
    private func tamperGraph(_ file: URL, _ edit: (inout ProgramDescription) -> Void) throws {
        let program = try smallProgram()
        var d = program.programDescription
        edit(&d)
        try writeTampered(program, to: file) { $0[ProgramFileKey.program] = d.canonicalJSON() }
    }

    @Test func danglingInput() throws {
        defer { try? FileManager.default.removeItem(at: directory) }
        try tamperGraph(url("d.kep")) { $0.graph.nodes[2].inputs = ["nowhere"] }
        guard case .invalidGraph(_, let reason) = try loadError(url("d.kep")) else { Issue.record("wrong case"); return }
        #expect(reason == "node %2: input %nowhere is not defined before it (dangling input)")
    }

    @Test func shapeContradiction() throws {
        defer { try? FileManager.default.removeItem(at: directory) }
        try tamperGraph(url("s.kep")) { $0.graph.nodes[0].shape = [.symbol("s0"), .static(4), .static(7), .static(8)] }
        guard case .invalidGraph(_, let reason) = try loadError(url("s.kep")) else { Issue.record("wrong case"); return }
        #expect(reason.contains("recorded shape [s0, 4, 7, 8] contradicts the shape [s0, 4, 8, 8]"))

        try tamperGraph(url("a.kep")) { $0.graph.nodes[0].attributes.stride = nil }
        guard case .invalidGraph(_, let attr) = try loadError(url("a.kep")) else { Issue.record("wrong case"); return }
        #expect(attr.contains("conv2d needs the attribute stride"))

        // Absurd sizes are rejected, not trapped on.
        try tamperGraph(url("big.kep")) { $0.graph.nodes[0].attributes.padding = Int.max }
        guard case .invalidGraph(_, let big) = try loadError(url("big.kep")) else { Issue.record("wrong case"); return }
        #expect(big.contains("exceeds"))
        try tamperGraph(url("huge.kep")) { $0.signature.inputs[0].shape[2] = .static(Int.max) }
        guard case .invalidGraph = try loadError(url("huge.kep")) else { Issue.record("wrong case"); return }

        try tamperGraph(url("u.kep")) { $0.rangeConstraints = [] }
        guard case .invalidGraph(_, let symbol) = try loadError(url("u.kep")) else { Issue.record("wrong case"); return }
        #expect(symbol.contains("no range constraint"))
    }

    @Test func editedButConsistentGraphFailsTheHash() throws {
        defer { try? FileManager.default.removeItem(at: directory) }
        try tamperGraph(url("h.kep")) { $0.rangeConstraints[0].max = 64 }
        guard case .hashMismatch = try loadError(url("h.kep")) else { Issue.record("wrong case"); return }
    }

    @Test func weightsThatDoNotMatchTheSignature() throws {
        defer { try? FileManager.default.removeItem(at: directory) }
        let program = try smallProgram()
        var weights = program.orderedStateDict.filter { $0.0 != "6.bias" }
        weights.append(("extra", .zeros([1])))
        weights = weights.map { $0.0 == "0.weight" ? ($0.0, .zeros([4, 3, 1, 1])) : $0 }
        try writeTampered(program, to: url("w.kep"), weights: weights) { _ in }
        #expect(try loadError(url("w.kep")) == .weightsMismatch(path: url("w.kep").path, missing: ["6.bias"], unexpected: ["extra"], misshaped: ["0.weight"]))
    }
}
