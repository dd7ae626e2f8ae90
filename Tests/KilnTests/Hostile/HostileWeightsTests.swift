import Foundation
import Testing
@testable import Kiln

/// Hostile weights files. Each case asserts the exact error, its failure class (exit code)
/// and that nothing changed: not the file, not the model being loaded.
///
/// Cases covered exactly by `SafetensorsTests` (exact `SafetensorsError`, the path in the
/// message, `.badInput` = 65) and not repeated here:
/// - empty file: `emptyFile`; truncated header: `shorterThanEightBytes`, and every
///   truncation of a real file in `truncatedAndCorruptedFilesNeverCrash`;
/// - header size beyond the file: `headerSizeBeyondFile`; non-JSON header: `headerNotJSON`;
/// - offsets overlapping: `overlappingTensors`; out of range: `dataOffsetsOutOfRange`,
///   `dataOffsetsReversed`; shape/byte mismatch: `byteCountMismatch`; unknown dtype: `unknownDType`.
/// Missing and unexpected keys from a dictionary: `ZooTests`. Here: the same problems
/// reaching a model through a file, dtypes a model cannot take, and NaN/Inf weights.
@Suite struct HostileWeightsTests {
    /// The tiny model's state dict with `edit` applied, written to `name`.
    private func weightsFile(_ name: String, in dir: URL, _ edit: (inout [(String, Tensor)]) -> Void) throws -> URL {
        var dict = ExportFixtures.smallModel(seed: 5).stateDict()
        edit(&dict)
        let url = dir.appendingPathComponent(name)
        try Safetensors.write(dict, to: url)
        return url
    }

    private func parameterBits(_ m: Module) -> [String: [UInt32]] {
        Dictionary(uniqueKeysWithValues: m.stateDict().map { ($0.0, $0.1.scalars.map(\.bitPattern)) })
    }

    @Test func missingUnexpectedAndMisshapedKeysFromAFileChangeNothing() throws {
        let dir = Hostile.directory()
        let url = try weightsFile("w.safetensors", in: dir) { d in
            d.removeAll { $0.0 == "1.running_var" }
            d.append(("7.weight", .zeros([2])))
            d = d.map { $0.0 == "6.weight" ? ($0.0, .zeros([2, 5])) : $0 }
        }
        let before = Hostile.contents(of: dir)
        let model = ExportFixtures.smallModel(seed: 9)
        let params = parameterBits(model)
        let file = try SafetensorsFile(contentsOf: url)
        let e = try #require(Hostile.expectFailure(WeightsMismatchError.self, .weightsMismatch, naming: [url.path]) {
            try model.loadStateDict(file)
        })
        #expect(e.fullDescription == """
            \(url.path): weights do not fit Sequential
              missing keys (1): 1.running_var
              unexpected keys (1): 7.weight
              6.weight: model expects [2, 4], file has [2, 5]
            Suggested fix: check that the file is a torchvision Sequential state dict (same architecture and number of classes)
            """)
        #expect(FailureClass.weightsMismatch.exitCode == 66)
        #expect(parameterBits(model) == params, "a failed load must leave every parameter as it was")
        #expect(Hostile.contents(of: dir) == before)
    }

    /// `data` with the first occurrence of `old` replaced by `new` (same length: the layout stays valid).
    private func patch(_ data: Data, _ old: String, _ new: String) throws -> Data {
        try #require(old.utf8.count == new.utf8.count)
        let range = try #require(data.range(of: Data(old.utf8)), "\(old) not found")
        var out = data
        out.replaceSubrange(range, with: Data(new.utf8))
        return out
    }

    @Test func wrongDTypeForAParameterNamesFileAndTensorAndChangesNothing() throws {
        let dir = Hostile.directory()
        let good = try weightsFile("good.safetensors", in: dir) { _ in }
        let bytes = try Data(contentsOf: good)
        // An integer tensor where the model wants floats (I32 has F32's width: the file is valid).
        let ints = dir.appendingPathComponent("ints.safetensors")
        try patch(bytes, #""6.bias":{"dtype":"F32""#, #""6.bias":{"dtype":"I32""#).write(to: ints)
        // Float formats of another width than the bytes hold.
        let f64 = dir.appendingPathComponent("f64.safetensors")
        try patch(bytes, #""6.bias":{"dtype":"F32""#, #""6.bias":{"dtype":"F64""#).write(to: f64)
        let f16 = dir.appendingPathComponent("f16.safetensors")
        try patch(bytes, #""6.bias":{"dtype":"F32""#, #""6.bias":{"dtype":"F16""#).write(to: f16)
        let before = Hostile.contents(of: dir)
        let model = ExportFixtures.smallModel(seed: 9)
        let params = parameterBits(model)

        let e = Hostile.expectFailure(SafetensorsError.self, .badInput, naming: [ints.path, "\"6.bias\""]) {
            try model.loadStateDict(SafetensorsFile(contentsOf: ints))
        }
        #expect(e == .integerTensorAsFloat(path: ints.path, tensor: "6.bias", dtype: "I32"))
        // F64 over 8 bytes is a 1-element tensor: the shape [2] no longer fits the byte count.
        let d = Hostile.expectFailure(SafetensorsError.self, .badInput, naming: [f64.path, "\"6.bias\""]) {
            try model.loadStateDict(SafetensorsFile(contentsOf: f64))
        }
        #expect(d == .byteCountMismatch(path: f64.path, tensor: "6.bias", dtype: "F64", shape: [2], expected: 16, actual: 8))
        let h = Hostile.expectFailure(SafetensorsError.self, .badInput, naming: [f16.path]) {
            try model.loadStateDict(SafetensorsFile(contentsOf: f16))
        }
        #expect(h == .byteCountMismatch(path: f16.path, tensor: "6.bias", dtype: "F16", shape: [2], expected: 4, actual: 8))
        #expect(parameterBits(model) == params, "a failed load must leave every parameter as it was")
        #expect(Hostile.contents(of: dir) == before)
    }

    @Test func nanAndInfinityWeightsLoadAndPropagateThroughEagerAndCompiled() throws {
        // Weights holding NaN and ±Inf are legal floats: they load, run and show up in the
        // outputs (ReLU passes NaN, as PyTorch's does); nothing traps.
        let dir = Hostile.directory()
        let url = dir.appendingPathComponent("nan.safetensors")
        try Safetensors.write(Hostile.tinyModel.stateDict(), to: url)
        let loaded = ExportFixtures.smallModel(seed: 1)
        try loaded.loadStateDict(SafetensorsFile(contentsOf: url))
        #expect(parameterBits(loaded) == parameterBits(Hostile.tinyModel))

        let x = Tensor.randn([3, 3, 8, 8], seed: 4)
        let eager = try loaded(x)
        let exported = try Hostile.tinyProgram(x)
        let compiled = try aotLoad(Hostile.tinyLibrary)(x)
        #expect(eager.shape == [3, 2] && compiled.shape == [3, 2])
        for (name, y) in [("eager", eager), ("exported", exported), ("compiled", compiled)] {
            // Column 0 has a NaN bias, column 1 a +Inf one; the NaN filter makes every logit NaN
            // unless a kernel drops it — either way each path must agree with eager.
            #expect(y.scalars.map(\.isNaN) == eager.scalars.map(\.isNaN), "\(name) NaNs: \(y.scalars)")
            #expect(y.scalars.map(\.isInfinite) == eager.scalars.map(\.isInfinite), "\(name) infinities: \(y.scalars)")
            #expect(y.scalars.contains { $0.isNaN }, "\(name): the NaN weights must reach the output: \(y.scalars)")
        }
    }

    /// A safetensors file from a raw header (padded to 8 bytes) and data.
    private func rawFile(_ name: String, in dir: URL, header: String, data: [UInt8] = []) throws -> URL {
        var h = Array(header.utf8)
        h += repeatElement(UInt8(ascii: " "), count: (8 - h.count % 8) % 8)
        var bytes = withUnsafeBytes(of: UInt64(h.count).littleEndian) { Array($0) }
        bytes += h + data
        let url = dir.appendingPathComponent(name)
        try Data(bytes).write(to: url)
        return url
    }

    @Test func duplicateTensorNamesInAHeaderAreRefused() throws {
        // JSON parsers keep the last of two equal keys: the file would silently lose a tensor.
        let dir = Hostile.directory()
        let plain = try rawFile("dup.safetensors", in: dir, header: #"{"w":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"w":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}"#,
                                data: .init(repeating: 0, count: 8))
        let e = Hostile.expectFailure(SafetensorsError.self, .badInput, naming: [plain.path, "\"w\""]) {
            _ = try SafetensorsFile(contentsOf: plain)
        }
        #expect(e == .duplicateHeaderEntry(path: plain.path, name: "w"))
        #expect(e?.description == "\(plain.path): the safetensors header names \"w\" twice (JSON readers would silently keep one of them)")
        // The same name spelled with an escape is the same key.
        let escaped = try rawFile("esc.safetensors", in: dir, header: #"{"a":{"dtype":"U8","shape":[1],"data_offsets":[0,1]},"b\u0031":{"dtype":"U8","shape":[1],"data_offsets":[1,2]},"b1":{"dtype":"U8","shape":[1],"data_offsets":[2,3]}}"#,
                                  data: [1, 2, 3])
        let f = Hostile.expectFailure(SafetensorsError.self, .badInput, naming: [escaped.path, "\"b1\""]) {
            _ = try SafetensorsFile(contentsOf: escaped)
        }
        #expect(f == .duplicateHeaderEntry(path: escaped.path, name: "b1"))
        // Equal keys inside an entry or the metadata are not tensor names (JSON keeps the last; harmless).
        let nested = try rawFile("nested.safetensors", in: dir, header: #"{"__metadata__":{"k":"1","k2":"2"},"w":{"dtype":"U8","shape":[1],"data_offsets":[0,1]}}"#, data: [7])
        #expect(try SafetensorsFile(contentsOf: nested).tensorNames == ["w"])
    }

    @Test func offsetsBeyondInt64AreQuotedExactly() throws {
        let dir = Hostile.directory()
        let url = try rawFile("huge.safetensors", in: dir, header: #"{"w":{"dtype":"U8","shape":[1],"data_offsets":[18446744073709551614,18446744073709551615]}}"#)
        let e = Hostile.expectFailure(SafetensorsError.self, .badInput, naming: [url.path]) { _ = try SafetensorsFile(contentsOf: url) }
        #expect(e?.description == "\(url.path): tensor \"w\": data_offsets [18446744073709551614, 18446744073709551615] lie outside the 0-byte data buffer")
    }
}
