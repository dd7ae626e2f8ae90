import Foundation
@testable import KilnFuzzing
import Testing
@testable import Kiln

/// Hostile `.pth` files: the malicious-pickle suite and broken containers written by
/// `Fixtures/PyTorch/make_fixtures.py` (`hostile/manifest.json` says what each must be refused
/// with), plus a few built here. Every pickle payload would create
/// `/tmp/kiln-pickle-marker-<name>` if anything ran it; none may exist afterwards.
@Suite(.serialized) struct HostilePyTorchTests {
    static let folder = PyTorchCheckpointTests.folder.appendingPathComponent("hostile")
    static let markerPrefix = "/tmp/kiln-pickle-marker-"

    static func manifest() throws -> [String: [String: String]] {
        let data = try Data(contentsOf: folder.appendingPathComponent("manifest.json"))
        return try JSONDecoder().decode([String: [String: String]].self, from: data)
    }

    /// The enum case name of an error (`forbiddenGlobal`, …).
    static func caseName(_ e: PyTorchError) -> String {
        Mirror(reflecting: e).children.first?.label ?? "\(e)"
    }

    static func markers() -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: "/tmp")) ?? []).filter { ("/tmp/" + $0).hasPrefix(markerPrefix) }
    }

    @Test func everyHostileFixtureIsRefusedAndNothingRuns() throws {
        for m in Self.markers() { try FileManager.default.removeItem(atPath: "/tmp/" + m) }
        let manifest = try Self.manifest()
        #expect(manifest.count >= 24)
        for (name, expect) in manifest.sorted(by: { $0.key < $1.key }) {
            let url = Self.folder.appendingPathComponent("\(name).pth")
            let before = try Data(contentsOf: url)
            let naming = [url.path] + (expect["global"].map { [$0] } ?? [])
            let e = Hostile.expectFailure(PyTorchError.self, .badInput, naming: naming) {
                _ = try resnet18(weights: .file(url))
            }
            if let e { #expect(Self.caseName(e) == expect["error"], "\(name): \(e)") }
            if let g = expect["global"], case .forbiddenGlobal(_, let module, let n, _)? = e { #expect("\(module).\(n)" == g) }
            #expect(try Data(contentsOf: url) == before, "\(name) changed")
        }
        #expect(Self.markers().isEmpty, "a payload ran: \(Self.markers())")
    }

    @Test func forbiddenGlobalMessageIsExact() throws {
        let url = Self.folder.appendingPathComponent("os_system.pth")
        let e = try #require(Hostile.expectFailure(PyTorchError.self, .badInput) { _ = try PyTorchCheckpoint(contentsOf: url) })
        #expect(e.fullDescription == """
            \(url.path): data.pkl refers to the global os.system (pickle offset 2), which is not on Kiln's allowlist; refused, nothing was run
            Suggested fix: Kiln loads only plain state dicts (tensors in dicts, lists and tuples); if you trust the file, load it in Python with torch.load(path, weights_only=True) and re-save its state dict with torch.save(model.state_dict(), "model.pth") (or convert it to safetensors).
            """)
    }

    /// Cases built in Swift: lies in the zip directory and tensor geometry past its storage.
    /// ZIP64 fields over Int64.max (here the central directory offset) made ZIPFoundation trap
    /// converting them to off_t; Kiln refuses them first (found by CI's fuzz run). The second
    /// input's bad ZIP64 end record sits right before its locator, where ZIPFoundation reads
    /// it, not where the locator's offset points.
    @Test(arguments: ["zip64_central_directory_offset_over_int64", "zip64_end_record_before_its_locator"])
    func zip64OffsetsBeyondAnyArchiveAreRefused(_ name: String) throws {
        let file = Fixtures.packageRoot.appendingPathComponent("fuzz/regressions/pytorch/\(name).pth")
        let image = try Data(contentsOf: file)
        do {
            _ = try PyTorchCheckpoint(data: image, url: URL(fileURLWithPath: "/z.pth"))
            Issue.record("accepted")
        } catch {
            #expect(error.description.contains("/z.pth") && error.description.contains("the ZIP64 end record's central directory offset is 16717361816799283192"),
                    "\(error)")
        }
    }

    @Test func lyingSizesAndGeometryAreRefused() throws {
        let url = URL(fileURLWithPath: "/h.pth")
        func refuse(_ image: Data, _ expected: String, sourceLocation: SourceLocation = #_sourceLocation) {
            do {
                let c = try PyTorchCheckpoint(data: image, url: url)
                for name in c.tensorNames { _ = try c.tensor(named: name) }
                Issue.record("accepted, expected \(expected)", sourceLocation: sourceLocation)
            } catch {
                #expect(Self.caseName(error) == expected, "\(error)", sourceLocation: sourceLocation)
                #expect(error.description.contains("/h.pth") && error.suggestion?.hasPrefix("Suggested fix: ") == true, sourceLocation: sourceLocation)
            }
        }
        let good = TorchSaveImage.stateDict([("w", Tensor(shape: [2, 2], values: [1, 2, 3, 4]))])
        #expect(try PyTorchCheckpoint(data: good, url: url).tensor(named: "w").scalars == [1, 2, 3, 4])
        // The central directory claims a 4 GiB storage in a ~1 KB archive.
        var lie = [UInt8](good)
        var p = 0
        while let i = lie[p...].firstIndex(of: 0x50), i + 46 < lie.count {
            if lie[i + 1] == 0x4B, lie[i + 2] == 1, lie[i + 3] == 2,
               String(decoding: lie[(i + 46)..<(i + 46 + Int(lie[i + 28]))], as: UTF8.self) == "archive/data/0" {
                for k in 20..<28 { lie[i + k] = 0xFF }         // compressed and uncompressed size
                break
            }
            p = i + 1
        }
        refuse(Data(lie), "malformedZip")
        // A stride that walks past the storage's four elements.
        var w = PickleWriter()
        w.op(0x80); w.byte(2); w.global("collections", "OrderedDict"); w.op(0x29); w.op(0x52); w.op(0x28)
        w.string("w"); w.global("torch._utils", "_rebuild_tensor_v2"); w.op(0x28)
        w.op(0x28); w.string("storage"); w.global("torch", "FloatStorage"); w.string("0"); w.string("cpu"); w.int(4); w.op(0x74); w.op(0x51)
        w.int(1); w.op(0x28); w.int(2); w.int(2); w.op(0x74); w.op(0x28); w.int(2); w.int(1); w.op(0x74)
        w.op(0x89); w.global("collections", "OrderedDict"); w.op(0x29); w.op(0x52); w.op(0x74); w.op(0x52); w.op(0x75); w.op(0x2E)
        refuse(TorchSaveImage.archive(pickle: w.bytes, storages: [[UInt8](repeating: 0, count: 16)]), "storageTooShort")
        // A key with a newline and a terminal escape stays on one line, escaped.
        var k = PickleWriter()
        k.op(0x80); k.byte(2); k.op(0x7D); k.string("evil\n\u{1B}[31mkey"); k.int(7); k.op(0x73); k.op(0x2E)
        do { _ = try PyTorchCheckpoint(data: TorchSaveImage.archive(pickle: k.bytes, storages: []), url: url); Issue.record("accepted") } catch {
            #expect(Self.caseName(error) == "notATensor")
            #expect(!error.description.contains("\n") && !error.description.contains("\u{1B}"), "\(error.description)")
            #expect(error.description.contains(#"evil\u{a}\u{1b}[31mkey"#), "\(error.description)")
        }
        // Not a dict at the top; not a zip at all; a tar.
        refuse(TorchSaveImage.archive(pickle: [0x80, 2, 0x4B, 7, 0x2E], storages: []), "noStateDict")
        refuse(Data("hello, world".utf8), "notACheckpoint")
        var tar = [UInt8](repeating: 0, count: 512)
        tar.replaceSubrange(257..<262, with: Array("ustar".utf8))
        refuse(Data(tar), "legacyFormat")
        refuse(Data(), "notACheckpoint")
    }
}
