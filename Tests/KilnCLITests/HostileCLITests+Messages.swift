import Foundation
import Kiln
import Testing

/// What `kiln` says when it refuses something: the fix is a flag to type, never a Swift
/// call, and always one that works; tensor names may hold colons.
extension HostileCLITests {
    /// A scratch folder for one test, removed when the returned object goes away.
    static func scratch() throws -> URL {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("kiln-hostile-msg-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        return dir
    }

    /// A resnet18 program of 32×32 images, batch 1…4, and its library, built once per test process.
    static let library32: (program: String, library: String) = {
        let program = fixtures + "/r18-32.kep", library = fixtures + "/r18-32.so"
        let e = try? Kiln.run(["export", "--image-size", "32", "--dynamic-batch", "1...4", "--output", program])
        precondition(e?.status == 0, "export failed: \(e?.output ?? "?")")
        let c = try? Kiln.run(["compile", program, "--output", library])
        precondition(c?.status == 0, "compile failed: \(c?.output ?? "?")")
        return (program, library)
    }()

    @Test func tensorNameWithAColonIsSelectable() throws {
        let dir = try Self.scratch()
        defer { try? FileManager.default.removeItem(at: dir) }
        let file = dir.appendingPathComponent("cases.safetensors")
        try Safetensors.write([("input:b1", Tensor.randn([1, 3, 32, 32], seed: 3)), ("other", Tensor.zeros([1]))], to: file)
        let r = try Kiln.run(["infer", "--input", file.path + ":input:b1"])
        #expect(r.status == 0, "\(r.output)")
        #expect(r.output.contains("logits: [1, 1000]"))
        // A name that is not there is reported as a tensor name, not as a missing file.
        let missing = try Kiln.run(["infer", "--input", file.path + ":input:b2"])
        #expect(missing.status == 65)
        #expect(missing.output.hasPrefix("error: \(file.path) has no tensor named \"input:b2\" (2 tensors, e.g. \"input:b1\", \"other\")\n"), "\(missing.output)")
    }

    @Test func integerInputSuggestsAFlagNotASwiftCall() throws {
        let dir = try Self.scratch()
        defer { try? FileManager.default.removeItem(at: dir) }
        // One I64 tensor, written by hand (Safetensors.write writes F32 only).
        var header = Array(#"{"ids":{"dtype":"I64","shape":[2],"data_offsets":[0,16]}}"#.utf8)
        header += repeatElement(UInt8(ascii: " "), count: (8 - header.count % 8) % 8)
        let bytes = withUnsafeBytes(of: UInt64(header.count).littleEndian) { Array($0) } + header + [UInt8](repeating: 1, count: 16)
        let file = dir.appendingPathComponent("ids.safetensors")
        try Data(bytes).write(to: file)
        let r = try Kiln.run(["infer", "--input", file.path + ":ids"])
        #expect(r.status == 65)
        #expect(r.output == "error: \(file.path): tensor \"ids\" is an integer tensor (I64), not floating point\nSuggested fix: pass --input a floating-point tensor (F32, F16 or BF16); \"ids\" holds integers\n")
    }

    @Test func exportRangeFixesAreFlagsThatWork() throws {
        let dir = try Self.scratch()
        defer { try? FileManager.default.removeItem(at: dir) }
        let out = dir.appendingPathComponent("m.kep").path
        let swapped = try Kiln.run(["export", "--image-size", "32", "--dynamic-batch", "1...0", "--output", out])
        #expect(swapped.status == 67)
        #expect(swapped.output == "error: export: input x, dimension 0: Dim(\"batch\", min: 1, max: 0) has min 1 > max 0\nSuggested fix: --dynamic-batch 1...1\n" + Self.seededNote)
        let outside = try Kiln.run(["export", "--image-size", "32", "--dynamic-batch", "2...32", "--example-batch", "40", "--output", out])
        #expect(outside.status == 67)
        #expect(outside.output.hasSuffix("\nSuggested fix: --example-batch 2, or --dynamic-batch 2...40\n" + Self.seededNote), "\(outside.output)")
        #expect(!FileManager.default.fileExists(atPath: out))
        // The suggested range exports.
        let fixed = try Kiln.run(["export", "--image-size", "32", "--dynamic-batch", "1...1", "--output", out])
        #expect(fixed.status == 0, "\(fixed.output)")
    }

    @Test func libraryGuardSuggestsExportFlags() throws {
        let r = try Kiln.run(["infer", "--library", Self.library32.library, "--batch", "5"])
        #expect(r.status == 67)
        #expect(r.output == "error: input x: dimension 0 is 5, but the program allows batch ≤ 4 (Dim \"batch\", max: 4)\nSuggested fix: export again with `kiln export --dynamic-batch 1...5` and compile the program again\n")
        let size = try Kiln.run(["infer", "--library", Self.library32.library, "--batch", "2"])
        #expect(size.status == 67)
        #expect(size.output == "error: input x: dimension 2 is 224, but the program was exported for 32 (input shape [s0, 3, 32, 32], got [2, 3, 224, 224])\nSuggested fix: pass --input a tensor of shape [2, 3, 32, 32], or export again with `kiln export --image-size 224` and compile the program again\n")
    }

    @Test func nonFiniteInputIsRefusedWithItsIndex() throws {
        let dir = try Self.scratch()
        defer { try? FileManager.default.removeItem(at: dir) }
        var values = Tensor.randn([1, 3, 32, 32], seed: 5).scalars
        values[2 * 1024 + 7 * 32 + 9] = -.infinity
        values[3000] = .nan
        let file = dir.appendingPathComponent("bad.safetensors")
        try Safetensors.write([("x", Tensor(shape: [1, 3, 32, 32], values: values))], to: file)
        let out = dir.appendingPathComponent("logits.safetensors")
        for args in [["infer", "--input", file.path, "--output", out.path],
                     ["infer", "--library", Self.library32.library, "--input", file.path + ":x", "--output", out.path]] {
            let r = try Kiln.run(args)
            #expect(r.status == 65, "\(r.output)")
            let name = args.contains("--library") ? file.path + ":x" : file.path
            #expect(r.output.hasPrefix("error: input \(name): element [0, 2, 7, 9] (flat index 2281) is -Inf; every output it reaches would be NaN or infinite\nSuggested fix: replace or drop non-finite values before running the model (e.g. torch.nan_to_num in PyTorch), or fix what produced them\n"), "\(r.output)")
            #expect(!FileManager.default.fileExists(atPath: out.path))
        }
    }
}
