import Foundation
import Testing
import KilnTestSupport

/// The engine's floors (README "Layout"): each folder of Sources/Kiln may use only the
/// folders below it. Swift sees one module, so this test keeps the rule true.
@Suite struct LayeringTests {
    /// Folder → folders it may use (besides itself), bottom to top. Compile's stages run
    /// in this order; Base/ is what they share, Toolchain/ the compiler and cache that
    /// autotuning and code generation both need, and Compile/ itself the driver on top.
    static let kilnRules: [LayerRule] = {
        let engine = ["Support", "Tensor", "Weights", "NN", "Export"]
        let stages = ["Compile/Base", "Compile/Toolchain", "Compile/Lowering", "Compile/Selection", "Compile/Memory", "Compile/CodeGen"]
        return [
            LayerRule("Support", mayUse: []),
            LayerRule("Tensor", mayUse: ["Support"]),
            LayerRule("Weights", mayUse: ["Support", "Tensor"]),
            LayerRule("NN", mayUse: ["Support", "Tensor", "Weights"]),
            LayerRule("Export", mayUse: ["Support", "Tensor", "Weights", "NN"]),
            // The protobuf types protoc generates know nothing of Kiln.
            LayerRule("Import/ONNX/Generated", mayUse: []),
            // Importing builds a graph program (Export) from a file: no compiling, no loading.
            LayerRule("Import", mayUse: engine + ["Import/ONNX/Generated"]),
            // The torch.export reader shares the zip and storage code of Weights/PyTorch, not ONNX's.
            LayerRule("Import/PT2", mayUse: engine),
            LayerRule("Compile/Base", mayUse: engine),
            LayerRule("Compile/Toolchain", mayUse: engine + stages.prefix(1)),
            LayerRule("Compile/Lowering", mayUse: engine + stages.prefix(2)),
            LayerRule("Compile/Selection", mayUse: engine + stages.prefix(3)),
            LayerRule("Compile/Memory", mayUse: engine + stages.prefix(3)),
            LayerRule("Compile/CodeGen", mayUse: engine + stages.prefix(5)),
            LayerRule("Compile", mayUse: engine + stages),
            LayerRule("Runtime", mayUse: engine),
            LayerRule("JIT", mayUse: engine + ["Compile", "Runtime"]),
            // What programs show (show(image:), show(table:), charts): text and files, no engine.
            LayerRule("Display", mayUse: ["Support"]),
        ]
    }()

    static var kilnSources: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Sources/Kiln")
    }

    @Test func kilnFoldersUseOnlyTheFloorsBelow() throws {
        let violations = try LayerCheck.violations(root: Self.kilnSources, rules: Self.kilnRules)
        #expect(violations.isEmpty, Comment(rawValue: "\(violations.count) layering violations:\n" + violations.map(\.description).joined(separator: "\n")))
    }

    /// The checker itself, on a tiny tree: a use upward is reported with file:line, name and
    /// rule; uses in comments, strings, member accesses and shadowing locals are not; a
    /// folder without a rule is reported.
    @Test func checkerReportsUpwardUsesAndUnruledFolders() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("kiln-layers-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: root) }
        let files = [
            "Low/Floor.swift": "public struct Floor {}\nfunc helper() -> Int { 1 }\n",
            "High/Top.swift": "struct Top { let floor = Floor(); func go() -> Int { helper() } }\nfunc upstairs() {}\n",
            "Low/Bad.swift": """
                // Top is mentioned in a comment, /* and Top here */
                let s = "Top \\(helper()) \\("Top")"
                func g() -> Any { Top() }
                func h(upstairs: Int) -> Int { let x = Floor.self; _ = x; return upstairs }
                """,
            "Attic/Box.swift": "struct Box {}\n",
        ]
        for (path, text) in files {
            let url = root.appendingPathComponent(path)
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try text.write(to: url, atomically: false, encoding: .utf8)
        }
        let rules = [LayerRule("Low", mayUse: []), LayerRule("High", mayUse: ["Low"])]
        let found = try LayerCheck.violations(root: root, rules: rules).map(\.description)
        #expect(found == [
            "Attic/Box.swift: folder \"Attic\" has no layering rule; add one",
            "Low/Bad.swift:3: uses Top (declared in High): Low may use nothing outside itself",
        ])
        let allowing = [LayerRule("Low", mayUse: ["High"]), LayerRule("High", mayUse: ["Low"]), LayerRule("Attic", mayUse: [])]
        #expect(try LayerCheck.violations(root: root, rules: allowing).isEmpty)
    }
}
