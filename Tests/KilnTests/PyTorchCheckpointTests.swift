import Foundation
import KilnFuzzing
import Testing
@testable import Kiln

/// `.pth` checkpoints written by real `torch.save` (PyTorch 2.15, committed by
/// `Fixtures/PyTorch/make_fixtures.py`) read back as the values the same script stored in
/// `expected.safetensors`; ResNet-18 from a `.pth` gives the safetensors path's logits.
@Suite struct PyTorchCheckpointTests {
    static let folder = Fixtures.packageRoot.appendingPathComponent("Tests/KilnTests/Fixtures/PyTorch")
    static func valid(_ name: String) -> URL { folder.appendingPathComponent("valid/\(name).pth") }
    static let expected = try! SafetensorsFile(contentsOf: folder.appendingPathComponent("expected.safetensors"))

    /// Every expected tensor of `fixture` (keys after `prefix` is stripped) read bit-exactly.
    func expectFixture(_ fixture: String, options: PyTorchCheckpoint.Options = .init(), strip: String = "") throws {
        let c = try PyTorchCheckpoint(contentsOf: Self.valid(fixture), options: options)
        let wanted = Self.expected.tensorNames.filter { $0.hasPrefix(fixture + "/") }
        #expect(!wanted.isEmpty)
        #expect(Set(c.tensorNames) == Set(wanted.map { String($0.dropFirst(fixture.count + 1).dropFirst(strip.count)) }))
        for key in wanted {
            let name = String(key.dropFirst(fixture.count + 1).dropFirst(strip.count))
            let info = try #require(c.info(name))
            if Self.expected.info(key)?.dtype == .I64 {
                #expect(try c.int64Values(named: name) == (try Self.expected.int64Values(named: key)), "\(fixture)/\(name)")
            } else {
                let got = try c.tensor(named: name), want = try Self.expected.tensor(named: key)
                #expect(got.shape == want.shape, "\(fixture)/\(name): \(got.shape) vs \(want.shape)")
                #expect(got.scalars.map(\.bitPattern) == want.scalars.map(\.bitPattern), "\(fixture)/\(name) (\(info.dtype), stride \(info.stride), offset \(info.storageOffset))")
            }
        }
    }

    @Test func plainDict() throws { try expectFixture("plain_dict") }
    @Test func orderedDictWithMetadata() throws { try expectFixture("ordered_dict") }
    @Test func dtypesFloat16BFloat16Int64AndScalars() throws { try expectFixture("dtypes") }
    @Test func viewsOffsetsTransposesSharedStoragesAndParameters() throws { try expectFixture("views") }
    @Test func nestedModelKey() throws { try expectFixture("nested_model") }

    @Test func nestedStateDictWithModulePrefixStripped() throws {
        try expectFixture("nested_state_dict", options: .init(stripPrefix: "module."), strip: "module.")
        let unstripped = try PyTorchCheckpoint(contentsOf: Self.valid("nested_state_dict"))
        #expect(unstripped.tensorNames.allSatisfy { $0.hasPrefix("module.") })
    }

    @Test func viewGeometryIsKept() throws {
        let c = try PyTorchCheckpoint(contentsOf: Self.valid("views"))
        let t = try #require(c.info("transposed"))
        #expect(t.shape == [6, 4] && t.stride == [1, 6])
        #expect(c.info("row_view")?.storageOffset == 6)
        #expect(c.info("expanded")?.stride == [1, 0])
        #expect(c.info("shared_a")?.storageMember == c.info("shared_b")?.storageMember)
        #expect(c.info("empty")?.shape == [0, 6])
    }

    @Test func explicitKeyAndMissingKey() throws {
        let c = try PyTorchCheckpoint(contentsOf: Self.valid("nested_state_dict"), options: .init(stateDictKey: "state_dict"))
        #expect(c.tensorNames.count == 9)
        let url = Self.valid("nested_state_dict")
        let e = try #require(Hostile.expectFailure(PyTorchError.self, .badInput, naming: [url.path, "\"weights\"", "\"epoch\""]) {
            _ = try PyTorchCheckpoint(contentsOf: url, options: .init(stateDictKey: "weights"))
        })
        guard case .noStateDict = e else { Issue.record("\(e)"); return }
    }

    @Test func wrongAccessorsAndUnknownNames() throws {
        let c = try PyTorchCheckpoint(contentsOf: Self.valid("dtypes"))
        #expect(throws: PyTorchError.integerTensorAsFloat(path: c.url.path, tensor: "i64", dtype: "int64")) { try c.tensor(named: "i64") }
        #expect(throws: PyTorchError.floatTensorAsInteger(path: c.url.path, tensor: "f16", dtype: "float16")) { try c.int64Values(named: "f16") }
        do { _ = try c.tensor(named: "f61"); Issue.record("no error") } catch {
            guard case .unknownTensor(_, "f61", let some, 5) = error else { Issue.record("\(error)"); return }
            #expect(some.first == "f16")
        }
    }

    @Test func formatIsToldByContentNotExtension() throws {
        let dir = Hostile.directory()
        let pth = dir.appendingPathComponent("weights.safetensors")       // a .pth under the wrong name
        try FileManager.default.copyItem(at: Self.valid("plain_dict"), to: pth)
        guard case .pytorch = Weights.file(pth) else { Issue.record("not detected as PyTorch"); return }
        guard case .safetensors = Weights.file(Self.folder.appendingPathComponent("expected.safetensors")) else { Issue.record("safetensors misdetected"); return }
    }

    @Test func bigEndianByteOrderIsSwapped() throws {
        let values: [Float] = [1.5, -2.25, 3e-8, 65504]
        let big = values.flatMap { withUnsafeBytes(of: $0.bitPattern.bigEndian, Array.init) }
        let little = TorchSaveImage.stateDict([("w", Tensor(shape: [2, 2], values: values))])
        let pickle = try #require(readMember(little, "archive/data.pkl"))
        let image = TorchSaveImage.archive(pickle: pickle, storages: [big], byteOrder: "big")
        let c = try PyTorchCheckpoint(data: image, url: URL(fileURLWithPath: "/big.pth"))
        #expect(c.isBigEndian)
        #expect(try c.tensor(named: "w").scalars == values)
    }

    /// ResNet-18 written as a `.pth` (by the Swift torch.save twin, so no torch is needed)
    /// from the shared safetensors weights gives bit-identical logits.
    @Test func resnet18FromPthMatchesSafetensors() throws {
        guard let weights = Fixtures.file("resnet18.safetensors"), let cases = Fixtures.file("resnet18_cases.safetensors") else { return }
        let st = try SafetensorsFile(contentsOf: weights)
        let tensors = try st.tensorNames.filter { !$0.hasSuffix("num_batches_tracked") }.map { ($0, try st.tensor(named: $0)) }
        let url = Hostile.directory().appendingPathComponent("resnet18-f37072fd.pth")
        try TorchSaveImage.stateDict(tensors, folder: "resnet18-f37072fd").write(to: url)
        let start = Date()
        let fromPth = try resnet18(weights: .file(url))
        let pthSeconds = Date().timeIntervalSince(start)
        let start2 = Date()
        let fromSafetensors = try resnet18(weights: .safetensors(weights))
        print("resnet18 load: .pth \(String(format: "%.3f", pthSeconds)) s, safetensors \(String(format: "%.3f", Date().timeIntervalSince(start2))) s (debug build)")
        let input = try SafetensorsFile(contentsOf: cases).tensor(named: "input_b3")
        #expect(try fromPth(input).scalars.map(\.bitPattern) == (try fromSafetensors(input)).scalars.map(\.bitPattern))
    }

    /// The same with a `.pth` written by real `torch.save` (64-byte aligned members, the
    /// `.format_version`/`.data/serialization_id` records, an int64 `num_batches_tracked`),
    /// when `python3` can import torch; skipped with the reason otherwise.
    @Test func resnet18FromRealTorchSaveMatchesSafetensors() throws {
        guard let weights = Fixtures.file("resnet18.safetensors"), let cases = Fixtures.file("resnet18_cases.safetensors") else { return }
        let url = Hostile.directory().appendingPathComponent("resnet18-f37072fd.pth")
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = ["python3", Self.folder.appendingPathComponent("make_fixtures.py").path, "--resnet18", weights.path, url.path]
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        try p.run()
        p.waitUntilExit()
        guard p.terminationStatus == 0 else {
            print("skipping resnet18FromRealTorchSaveMatchesSafetensors: python3 with torch and numpy not available (exit \(p.terminationStatus))")
            return
        }
        let checkpoint = try PyTorchCheckpoint(contentsOf: url)
        #expect(try checkpoint.int64Values(named: "bn1.num_batches_tracked").count == 1)
        let input = try SafetensorsFile(contentsOf: cases).tensor(named: "input_b1")
        let a = try resnet18(weights: .file(url))(input), b = try resnet18(weights: .safetensors(weights))(input)
        #expect(a.scalars.map(\.bitPattern) == b.scalars.map(\.bitPattern))
    }

    /// The slicing-by-8 CRC the reader checks storages with agrees with the byte-wise one the
    /// test writer uses, on the standard check value and every length 0…40 at every alignment.
    @Test func crc32MatchesTheByteWiseReference() {
        #expect(Array("123456789".utf8).withUnsafeBytes { CRC32.checksum($0) } == 0xCBF4_3926)
        let bytes = (0..<48).map { UInt8(truncatingIfNeeded: $0 &* 73 &+ 19) }
        for start in 0..<8 {
            for length in 0...40 {
                let slice = Array(bytes[start..<(start + length)])
                let fast = bytes.withUnsafeBytes { CRC32.checksum(UnsafeRawBufferPointer(rebasing: $0[start..<(start + length)])) }
                #expect(fast == TorchSaveImage.crc32(slice), "start \(start), length \(length)")
            }
        }
    }

    /// The bytes of a member of a zip written by ``TorchSaveImage`` (STORED, no extras).
    func readMember(_ zip: Data, _ name: String) -> [UInt8]? {
        let b = [UInt8](zip)
        var i = 0
        while i + 30 <= b.count, b[i] == 0x50, b[i + 1] == 0x4B, b[i + 2] == 3 {
            let size = Int(b[i + 18]) | Int(b[i + 19]) << 8 | Int(b[i + 20]) << 16 | Int(b[i + 21]) << 24
            let nameLength = Int(b[i + 26]) | Int(b[i + 27]) << 8
            let n = String(decoding: b[(i + 30)..<(i + 30 + nameLength)], as: UTF8.self)
            let start = i + 30 + nameLength
            if n == name { return Array(b[start..<(start + size)]) }
            i = start + size
        }
        return nil
    }
}
