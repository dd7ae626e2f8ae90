import Foundation
import Testing
@testable import Kiln

/// Broken and malicious `.pt2` archives written by scripts/make-pt2-fixtures.py
/// (`Fixtures/PT2/hostile/manifest.json` says what each must be refused with), plus lies
/// built here from the valid `micro.pt2`: each is a ``PT2ImportError`` naming the file, with a
/// fix, and nothing outside the archive is read or written.
@Suite struct HostilePT2Tests {
    static let folder = PT2FixtureTests.directory.appendingPathComponent("hostile")

    static func manifest() throws -> [String: [String: String]] {
        try JSONDecoder().decode([String: [String: String]].self, from: Data(contentsOf: folder.appendingPathComponent("manifest.json")))
    }

    @Test func everyHostileArchiveIsRefusedWithItsReason() throws {
        let manifest = try Self.manifest()
        #expect(manifest.count >= 20)
        for (name, expect) in manifest.sorted(by: { $0.key < $1.key }) {
            let url = Self.folder.appendingPathComponent("\(name).pt2")
            let e = Hostile.expectFailure(PT2ImportError.self, .badInput, naming: [url.path, expect["says"] ?? ""]) {
                _ = try importPT2(url)
            }
            if let e { #expect(e.kind.rawValue == expect["kind"], "\(name): \(e)") }
        }
        #expect(!FileManager.default.fileExists(atPath: "/tmp/kiln-pt2-escape"))
        #expect(!FileManager.default.fileExists(atPath: "/tmp/kiln-pt2-absolute"))
    }

    @Test func theValidTwinImports() throws {
        let p = try importPT2(Self.folder.appendingPathComponent("micro.pt2"))
        #expect(p.graph.count(of: .conv2d) == 1)
        #expect(try p.run([Tensor.randn([2, 3, 16, 16], seed: 1)])[0].shape == [2, 2])
    }

    @Test func unsupportedOpsAndSchemaAreListedInOneError() throws {
        let url = Self.folder.appendingPathComponent("unsupported_ops.pt2")
        let e = try #require(Hostile.expectFailure(PT2ImportError.self, .badInput) { _ = try importPT2(url) })
        #expect(e.description.hasPrefix("\(url.path): 2 operators are not supported by Kiln: aten.conv3d.default (%conv2d); aten.erf.default (%relu)"))
        #expect(e.suggestion?.contains("run_decompositions") == true)
        #expect(e.suggestion?.contains("aten.convolution.default") == true)
        // A foreign schema and unknown ops: both in the one message.
        let both = try #require(Hostile.expectFailure(PT2ImportError.self, .badInput) {
            _ = try importPT2(Self.folder.appendingPathComponent("schema_and_ops.pt2"))
        })
        #expect(both.kind == .unsupportedVersion)
        #expect(both.description.contains("schema version 9.0") && both.description.contains("aten.erf.default"))
        #expect(both.suggestion?.contains("8.x") == true && both.suggestion?.contains("run_decompositions") == true)
    }

    @Test func editedMembersFailTheirCRC() throws {
        var data = try Data(contentsOf: Self.folder.appendingPathComponent("micro.pt2"))
        let range = try #require(data.range(of: Data(#""major": 8"#.utf8)))
        data.replaceSubrange(range, with: Data(#""major": 9"#.utf8))
        _ = Hostile.expectFailure(PT2ImportError.self, .badInput, naming: ["/h.pt2", "CRC-32"]) {
            _ = try importPT2(data: data, url: URL(fileURLWithPath: "/h.pt2"))
        }
    }

    @Test func truncationAtEveryFewBytesIsRefusedCleanly() throws {
        let whole = try Data(contentsOf: Self.folder.appendingPathComponent("micro.pt2"))
        for cut in stride(from: 0, to: whole.count, by: max(1, whole.count / 97)) {
            _ = Hostile.expectFailure(PT2ImportError.self, .badInput, naming: ["/cut.pt2"]) {
                _ = try importPT2(data: whole.prefix(cut), url: URL(fileURLWithPath: "/cut.pt2"))
            }
        }
    }

    @Test func limitsAreEnforced() throws {
        let url = Self.folder.appendingPathComponent("micro.pt2")
        func refused(_ change: (inout PT2ImportLimits) -> Void, says: String, sourceLocation: SourceLocation = #_sourceLocation) {
            var limits = PT2ImportLimits()
            change(&limits)
            let e = Hostile.expectFailure(PT2ImportError.self, .badInput, naming: [says], sourceLocation: sourceLocation) {
                _ = try importPT2(url, limits: limits)
            }
            #expect(e?.kind == .limitExceeded, sourceLocation: sourceLocation)
        }
        refused({ $0.maxFileBytes = 1000 }, says: "more than the 1000 Kiln reads")
        refused({ $0.maxMembers = 3 }, says: "more than 3 members")
        refused({ $0.maxJSONBytes = 100 }, says: "more than the 100 Kiln reads for it")
        refused({ $0.maxJSONDepth = 4 }, says: "deeper than 4 levels")
        refused({ $0.maxNodes = 2 }, says: "more than the 2 Kiln imports")
        refused({ $0.maxTensorElements = 10 }, says: "conv.weight")
        refused({ $0.maxWeightBytes = 64 }, says: "once read as float32")
    }

    @Test func nonPT2FilesAreRefusedWithAdvice() throws {
        let pth = PyTorchCheckpointTests.folder.appendingPathComponent("valid")
        let checkpoint = try #require(FileManager.default.contentsOfDirectory(atPath: pth.path).filter { $0.hasSuffix(".pth") }.sorted().first)
        _ = Hostile.expectFailure(PT2ImportError.self, .badInput, naming: ["not a torch.export archive", "--weights"]) {
            _ = try importPT2(pth.appendingPathComponent(checkpoint))
        }
        _ = Hostile.expectFailure(PT2ImportError.self, .badInput, naming: ["no such file"]) {
            _ = try importPT2(URL(fileURLWithPath: "/nonexistent/model.pt2"))
        }
        _ = Hostile.expectFailure(PT2ImportError.self, .badInput, naming: ["directory"]) {
            _ = try importPT2(Self.folder)
        }
    }
}
