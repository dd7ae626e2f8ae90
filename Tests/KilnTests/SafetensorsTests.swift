import Foundation
import Testing
@testable import Kiln

/// A fresh directory under the system temp dir, removed when the value is released.
private final class TempDir {
    let url: URL
    init() {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("kiln-st-\(UUID().uuidString)")
        try? FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }
    deinit { try? FileManager.default.removeItem(at: url) }
    func file(_ name: String) -> URL { url.appendingPathComponent(name) }

    /// Writes raw bytes to `name` and returns its URL.
    func write(_ name: String, bytes: [UInt8]) -> URL {
        let u = file(name)
        _ = FileManager.default.createFile(atPath: u.path, contents: Data(bytes))
        return u
    }

    /// Writes a safetensors layout by hand: size field (`headerSize` or the real length), header text, data.
    func write(_ name: String = "t.safetensors", header: String, data: [UInt8] = [], headerSize: UInt64? = nil) -> URL {
        let h = Array(header.utf8)
        return write(name, bytes: le(headerSize ?? UInt64(h.count)) + h + data)
    }
}

private func le<T: FixedWidthInteger>(_ v: T) -> [UInt8] {
    withUnsafeBytes(of: v.littleEndian) { Array($0) }
}

private func f32Bytes(_ values: [Float]) -> [UInt8] { values.flatMap { le($0.bitPattern) } }

/// Asserts that opening `url` throws exactly `expected`.
private func expectOpen(_ url: URL, throws expected: SafetensorsError, sourceLocation: SourceLocation = #_sourceLocation) {
    do {
        _ = try SafetensorsFile(contentsOf: url)
        Issue.record("expected \(expected), but the file opened", sourceLocation: sourceLocation)
    } catch {
        #expect(error == expected, sourceLocation: sourceLocation)
        #expect(error.description.contains(url.relativePath), sourceLocation: sourceLocation)
        #expect(error.failureClass == .badInput, sourceLocation: sourceLocation)
    }
}

/// The error opening `url` throws (for cases whose message text comes from Foundation).
private func openError(_ url: URL) -> SafetensorsError? {
    do {
        _ = try SafetensorsFile(contentsOf: url)
        return nil
    } catch {
        return error
    }
}

@Suite struct SafetensorsTests {
    // MARK: Round trips

    @Test func roundTripF32ShapesAndMetadata() throws {
        let dir = TempDir()
        let url = dir.file("model.safetensors")
        let tensors: [(String, Tensor)] = [
            ("b.matrix", Tensor.randn([2, 3], seed: 1)),
            ("a.vector", Tensor.randn([5], seed: 2)),
            ("scalar", Tensor(shape: [], values: [3.5])),
            ("empty", Tensor.zeros([0])),
            ("empty3d", Tensor.zeros([3, 0, 2])),
            ("nchw", Tensor.randn([1, 2, 3, 4], seed: 3)),
            ("special", Tensor(shape: [4], values: [.infinity, -.infinity, -0.0, .leastNonzeroMagnitude])),
        ]
        let metadata = ["format": "pt", "note": "quote \" backslash \\ newline \n tab \t ünïcode ✓", "empty": ""]
        try Safetensors.write(tensors, metadata: metadata, to: url)

        let f = try SafetensorsFile(contentsOf: url)
        #expect(f.url == url)
        #expect(f.metadata == metadata)
        // Data is laid out in name order; zero-sized tensors sit at their position with empty ranges.
        #expect(f.tensorNames == ["a.vector", "b.matrix", "empty", "empty3d", "nchw", "scalar", "special"])
        for (name, t) in tensors {
            let r = try f.tensor(named: name)
            #expect(r.shape == t.shape, "\(name)")
            #expect(r.scalars.map(\.bitPattern) == t.scalars.map(\.bitPattern), "\(name)")
            let info = try #require(f.info(name))
            #expect(info.dtype == .F32 && info.shape == t.shape && info.byteCount == 4 * t.count)
        }
        #expect(f.info("a.vector")?.dataOffsets == 0..<20)
        #expect(f.info("b.matrix")?.dataOffsets == 20..<44)
        #expect(f.info("scalar")?.elementCount == 1)
        #expect(f.info("missing") == nil)
    }

    @Test func dictionaryOverloadAndNoMetadata() throws {
        let dir = TempDir()
        let url = dir.file("d.safetensors")
        try Safetensors.write(["w": Tensor.ones([2, 2]), "b": Tensor.zeros([2])], to: url)
        let f = try SafetensorsFile(contentsOf: url)
        #expect(f.metadata.isEmpty)
        #expect(f.tensorNames == ["b", "w"])
        #expect(try f.tensor(named: "w").scalars == [1, 1, 1, 1])
    }

    @Test func doubleWriteIsByteIdentical() throws {
        let dir = TempDir()
        let a = dir.file("a.safetensors"), b = dir.file("b.safetensors")
        let x = Tensor.randn([3, 4], seed: 9), y = Tensor.randn([7], seed: 10), z = Tensor(shape: [], values: [1])
        let meta = ["k2": "v2", "k1": "v1", "k3": "v3"]
        try Safetensors.write([("x", x), ("y", y), ("z", z)], metadata: meta, to: a)
        try Safetensors.write([("z", z), ("x", x), ("y", y)], metadata: meta, to: b)   // input order does not matter
        let da = try Data(contentsOf: a), db = try Data(contentsOf: b)
        #expect(da == db)
        // Writing again over an existing file gives the same bytes, too.
        try Safetensors.write([("y", y), ("z", z), ("x", x)], metadata: meta, to: a)
        #expect(try Data(contentsOf: a) == db)
    }

    @Test func headerMatchesReferenceLayout() throws {
        let dir = TempDir()
        let url = dir.file("h.safetensors")
        try Safetensors.write([("w", Tensor(shape: [2], values: [1, 2])), ("a\"b", Tensor(shape: [], values: [0]))],
                              metadata: ["format": "pt"], to: url)
        let bytes = [UInt8](try Data(contentsOf: url))
        let n = Int(bytes[0..<8].reversed().reduce(UInt64(0)) { $0 << 8 | UInt64($1) })
        #expect(n % 8 == 0)
        #expect((8 + n) % 8 == 0)
        let header = String(decoding: bytes[8..<(8 + n)], as: UTF8.self)
        let json = #"{"__metadata__":{"format":"pt"},"a\"b":{"dtype":"F32","shape":[],"data_offsets":[0,4]},"w":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}}"#
        #expect(header == json + String(repeating: " ", count: n - json.utf8.count))
        #expect(n - json.utf8.count < 8)
        #expect(Array(bytes[(8 + n)...]) == f32Bytes([0, 1, 2]))
    }

    @Test func jsonEscapingOfControlCharacters() {
        #expect(Safetensors.jsonString("a\u{01}b\u{1F}\u{08}\u{0C}é") == #""a\u0001b\u001f\b\fé""#)
    }

    // MARK: Writing failures

    @Test func writeIntoMissingDirectoryFailsWithoutLeavingFiles() throws {
        let dir = TempDir()
        let url = dir.file("no/such/dir/x.safetensors")
        #expect(throws: SafetensorsError.self) { try Safetensors.write([("x", Tensor.ones([1]))], to: url) }
        do {
            try Safetensors.write([("x", Tensor.ones([1]))], to: url)
        } catch {
            guard case .writeFailed(let p, _) = error else { Issue.record("unexpected \(error)"); return }
            #expect(p == url.path)
            #expect(error.failureClass == .output)
            #expect(error.suggestion?.hasPrefix("Suggested fix:") == true)
        }
        #expect(!FileManager.default.fileExists(atPath: url.path))
    }

    @Test func writeLeavesNoTemporaryFiles() throws {
        let dir = TempDir()
        let url = dir.file("m.safetensors")
        try Safetensors.write([("x", Tensor.ones([3]))], to: url)
        try Safetensors.write([("x", Tensor.zeros([3]))], to: url)
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.url.path) == ["m.safetensors"])
        #expect(try SafetensorsFile(contentsOf: url).tensor(named: "x").scalars == [0, 0, 0])
    }

    @Test func writeRejectsDuplicateAndReservedNames() throws {
        let dir = TempDir()
        let url = dir.file("bad.safetensors")
        #expect(throws: SafetensorsError.duplicateTensorName(path: url.path, name: "x")) {
            try Safetensors.write([("x", Tensor.ones([1])), ("y", Tensor.ones([1])), ("x", Tensor.zeros([1]))], to: url)
        }
        #expect(throws: SafetensorsError.reservedTensorName(path: url.path, name: "__metadata__")) {
            try Safetensors.write([("__metadata__", Tensor.ones([1]))], to: url)
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.url.path).isEmpty)
    }

    // MARK: Decoding other dtypes

    @Test func decodesF16() throws {
        let dir = TempDir()
        let halves: [UInt16] = [0x3C00, 0xC000, 0x3555, 0x0001, 0x7BFF, 0x7C00, 0xFC00, 0x8000, 0x03FF]
        let expected: [Float] = [1, -2, 0.333251953125, 0x1p-24, 65504, .infinity, -.infinity, -0.0, 1023 * 0x1p-24]
        let url = dir.write(header: #"{"h":{"dtype":"F16","shape":[3,3],"data_offsets":[0,18]}}"#,
                            data: halves.flatMap { le($0) })
        let t = try SafetensorsFile(contentsOf: url).tensor(named: "h")
        #expect(t.shape == [3, 3])
        #expect(t.scalars.map(\.bitPattern) == expected.map(\.bitPattern))
    }

    #if !(os(macOS) && arch(x86_64))
    @Test func halfConversionMatchesFloat16ForAllBitPatterns() {
        for bits in 0...UInt16.max {
            let ours = SafetensorsFile.floatFromHalf(bits), ref = Float(Float16(bitPattern: bits))
            if ref.isNaN {
                #expect(ours.isNaN)
            } else if ours.bitPattern != ref.bitPattern {
                Issue.record("half 0x\(String(bits, radix: 16)): \(ours) vs \(ref)")
                return
            }
        }
    }
    #endif

    @Test func decodesBF16AndUnalignedF32() throws {
        let dir = TempDir()
        // A 1-byte U8 tensor first puts the BF16 and F32 data at odd (unaligned) offsets.
        let bf: [UInt16] = [0x3F80, 0xC040, 0x3EAB, 0x7F80, 0x0001]
        let header = #"{"pad":{"dtype":"U8","shape":[1],"data_offsets":[0,1]},"#
            + #""bf":{"dtype":"BF16","shape":[5],"data_offsets":[1,11]},"#
            + #""f":{"dtype":"F32","shape":[2],"data_offsets":[11,19]}}"#
        let url = dir.write(header: header, data: [7] + bf.flatMap { le($0) } + f32Bytes([1.25, -8]))
        let f = try SafetensorsFile(contentsOf: url)
        #expect(f.tensorNames == ["pad", "bf", "f"])
        #expect(try f.tensor(named: "bf").scalars.map(\.bitPattern) == bf.map { UInt32($0) << 16 })
        #expect(try f.tensor(named: "bf").scalars[0...3] == [1, -3, Float(bitPattern: 0x3EAB_0000), .infinity])
        #expect(try f.tensor(named: "f").scalars == [1.25, -8])
        #expect(try f.int64Values(named: "pad") == [7])
    }

    @Test func decodesI64AndOtherIntegers() throws {
        let dir = TempDir()
        let i64: [Int64] = [0, -1, .max, 42]
        let header = #"{"n":{"dtype":"I64","shape":[2,2],"data_offsets":[0,32]},"#
            + #""i32":{"dtype":"I32","shape":[2],"data_offsets":[32,40]},"#
            + #""b":{"dtype":"BOOL","shape":[3],"data_offsets":[40,43]},"#
            + #""u64":{"dtype":"U64","shape":[],"data_offsets":[43,51]},"#
            + #""d":{"dtype":"F64","shape":[1],"data_offsets":[51,59]}}"#
        let data = i64.flatMap { le($0) } + le(Int32(-5)) + le(Int32(6)) + [1, 0, 2] + le(UInt64.max) + le(2.5.bitPattern)
        let url = dir.write(header: header, data: data)
        let f = try SafetensorsFile(contentsOf: url)
        let p = url.path
        #expect(try f.int64Values(named: "n") == i64)
        #expect(try f.int64Values(named: "i32") == [-5, 6])
        #expect(try f.int64Values(named: "b") == [1, 0, 1])
        #expect(f.info("n")?.dtype == .I64 && f.info("n")?.shape == [2, 2])
        #expect(throws: SafetensorsError.integerTensorAsFloat(path: p, tensor: "n", dtype: "I64")) { try f.tensor(named: "n") }
        #expect(throws: SafetensorsError.unsupportedDType(path: p, tensor: "u64", dtype: "U64", wanted: "Int64")) {
            try f.int64Values(named: "u64")
        }
        #expect(throws: SafetensorsError.unsupportedDType(path: p, tensor: "d", dtype: "F64", wanted: "float32")) {
            try f.tensor(named: "d")
        }
        #expect(throws: SafetensorsError.floatTensorAsInteger(path: p, tensor: "d", dtype: "F64")) { try f.int64Values(named: "d") }
    }

    @Test func integerTensorAsFloatSuggestsInt64Values() throws {
        let dir = TempDir()
        let url = dir.write(header: #"{"count":{"dtype":"I64","shape":[],"data_offsets":[0,8]}}"#, data: le(Int64(3)))
        let f = try SafetensorsFile(contentsOf: url)
        do {
            _ = try f.tensor(named: "count")
            Issue.record("expected an error")
        } catch {
            #expect(error == .integerTensorAsFloat(path: url.path, tensor: "count", dtype: "I64"))
            #expect(error.description.contains("integer") && error.description.contains("\"count\"") && error.description.contains(url.path))
            #expect(error.suggestion?.contains("int64Values(named:)") == true)
        }
    }

    @Test func unknownTensorListsClosestNames() throws {
        let dir = TempDir()
        let url = dir.file("u.safetensors")
        try Safetensors.write([("conv1.weight", .ones([1])), ("conv1.bias", .ones([1])), ("fc.weight", .ones([1]))], to: url)
        let f = try SafetensorsFile(contentsOf: url)
        do {
            _ = try f.tensor(named: "conv1.weights")
            Issue.record("expected an error")
        } catch {
            #expect(error == .unknownTensor(path: url.path, name: "conv1.weights",
                                            available: ["conv1.weight", "conv1.bias", "fc.weight"], total: 3))
            #expect(error.description.contains("conv1.weight"))
            #expect(error.suggestion == #"Suggested fix: use one of the names in the file, e.g. "conv1.weight"."#)
        }
        #expect(throws: SafetensorsError.self) { try f.int64Values(named: "nope") }
    }

    // MARK: Malformed files, one case each

    @Test func fileNotFound() {
        let dir = TempDir()
        let url = dir.file("absent.safetensors")
        expectOpen(url, throws: .fileNotFound(path: url.path))
    }

    /// A relative path is named as given, not resolved against the working directory, so a
    /// recipe that shows the error prints the same text in every checkout.
    @Test func relativePathNamedAsGiven() {
        let url = URL(fileURLWithPath: "../no-such-dir/absent.safetensors")
        expectOpen(url, throws: .fileNotFound(path: "../no-such-dir/absent.safetensors"))
    }

    @Test func unreadableDirectory() {
        let dir = TempDir()
        expectOpen(dir.url, throws: .unreadable(path: dir.url.path, reason: "it is a directory"))
    }

    @Test func emptyFile() {
        let dir = TempDir()
        let url = dir.write("e.safetensors", bytes: [])
        expectOpen(url, throws: .fileTooShort(path: url.path, byteCount: 0))
    }

    @Test func shorterThanEightBytes() {
        let dir = TempDir()
        let url = dir.write("s.safetensors", bytes: [1, 0, 0, 0, 0])
        expectOpen(url, throws: .fileTooShort(path: url.path, byteCount: 5))
    }

    @Test func headerSizeBeyondFile() {
        let dir = TempDir()
        let url = dir.write(header: "{}", data: [0, 0], headerSize: 100)
        expectOpen(url, throws: .headerSizeBeyondFile(path: url.path, headerSize: 100, fileSize: 12))
        let huge = dir.write("huge.safetensors", header: "{}", headerSize: .max)
        expectOpen(huge, throws: .headerSizeBeyondFile(path: huge.path, headerSize: .max, fileSize: 10))
    }

    @Test func headerNotUTF8() {
        let dir = TempDir()
        let url = dir.write("b.safetensors", bytes: le(UInt64(4)) + [0x7B, 0x20, 0xFF, 0x7D])
        expectOpen(url, throws: .headerNotUTF8(path: url.path, offset: 2))
    }

    @Test func headerNotJSON() {
        let dir = TempDir()
        for (i, header) in ["{not json}", "", #"{"a": "#].enumerated() {
            let url = dir.write("j\(i).safetensors", header: header)
            guard case .headerNotJSON(let p, _)? = openError(url) else {
                Issue.record("header \(header.debugDescription): expected headerNotJSON, got \(String(describing: openError(url)))")
                continue
            }
            #expect(p == url.path)
        }
    }

    @Test func headerNotObject() {
        let dir = TempDir()
        let url = dir.write(header: "[1, 2]")
        expectOpen(url, throws: .headerNotObject(path: url.path, found: "array"))
        let s = dir.write("s.safetensors", header: #""text""#)
        expectOpen(s, throws: .headerNotObject(path: s.path, found: "string"))
    }

    @Test func invalidMetadata() {
        let dir = TempDir()
        let a = dir.write("a.safetensors", header: #"{"__metadata__": {"format": 1}}"#)
        expectOpen(a, throws: .invalidMetadata(path: a.path, reason: #"the value of "format" is a JSON number, expected a string"#))
        let b = dir.write("b.safetensors", header: #"{"__metadata__": "pt"}"#)
        expectOpen(b, throws: .invalidMetadata(path: b.path, reason: "it is a JSON string, expected an object of strings"))
    }

    @Test func entryNotObject() {
        let dir = TempDir()
        let url = dir.write(header: #"{"w": [1, 2]}"#)
        expectOpen(url, throws: .entryNotObject(path: url.path, tensor: "w", found: "array"))
    }

    @Test func missingFields() {
        let dir = TempDir()
        let cases = [
            ("dtype", #"{"w": {"shape": [1], "data_offsets": [0, 4]}}"#),
            ("shape", #"{"w": {"dtype": "F32", "data_offsets": [0, 4]}}"#),
            ("data_offsets", #"{"w": {"dtype": "F32", "shape": [1]}}"#),
        ]
        for (field, header) in cases {
            let url = dir.write("\(field).safetensors", header: header, data: [0, 0, 0, 0])
            expectOpen(url, throws: .missingField(path: url.path, tensor: "w", field: field))
        }
    }

    @Test func wrongFieldTypes() {
        let dir = TempDir()
        let offsets = "an array of two non-negative integers"
        let cases: [(String, String, String, String)] = [
            (#"{"dtype": 32, "shape": [1], "data_offsets": [0, 4]}"#, "dtype", "a string", "a JSON number"),
            (#"{"dtype": "F32", "shape": "1", "data_offsets": [0, 4]}"#, "shape", "an array of integers", "a JSON string"),
            (#"{"dtype": "F32", "shape": [1], "data_offsets": {"begin": 0}}"#, "data_offsets", offsets, "a JSON object"),
            (#"{"dtype": "F32", "shape": [1], "data_offsets": [0, 4, 8]}"#, "data_offsets", offsets, "an array of 3 elements"),
            (#"{"dtype": "F32", "shape": [1], "data_offsets": [0, 4.5]}"#, "data_offsets", offsets, "[0, 4.5]"),
            (#"{"dtype": "F32", "shape": [1], "data_offsets": [-4, 0]}"#, "data_offsets", offsets, "[-4, 0]"),
            (#"{"dtype": "F32", "shape": [1], "data_offsets": ["0", true]}"#, "data_offsets", offsets, #"["0", true]"#),
        ]
        for (i, (entry, field, expected, found)) in cases.enumerated() {
            let url = dir.write("w\(i).safetensors", header: #"{"w": "# + entry + "}", data: [0, 0, 0, 0])
            expectOpen(url, throws: .wrongFieldType(path: url.path, tensor: "w", field: field, expected: expected, found: found))
        }
    }

    @Test func unknownDType() {
        let dir = TempDir()
        let url = dir.write(header: #"{"w": {"dtype": "F128", "shape": [1], "data_offsets": [0, 16]}}"#, data: .init(repeating: 0, count: 16))
        expectOpen(url, throws: .unknownDType(path: url.path, tensor: "w", dtype: "F128"))
    }

    @Test func negativeOrNonIntegerShape() {
        let dir = TempDir()
        let cases: [(String, Int, String)] = [("[2, -3]", 1, "-3"), ("[2.5]", 0, "2.5"), ("[true]", 0, "true"),
                                              (#"[1, "2"]"#, 1, #""2""#), ("[null]", 0, "null")]
        for (i, (shape, dim, value)) in cases.enumerated() {
            let url = dir.write("s\(i).safetensors", header: #"{"w": {"dtype": "F32", "shape": "# + shape + #", "data_offsets": [0, 4]}}"#,
                                data: [0, 0, 0, 0])
            expectOpen(url, throws: .invalidShape(path: url.path, tensor: "w", dimension: dim, value: value))
        }
    }

    @Test func shapeProductOverflows() {
        let dir = TempDir()
        let big = 1 << 62
        let url = dir.write(header: #"{"w": {"dtype": "F32", "shape": [\#(big), 4], "data_offsets": [0, 4]}}"#, data: [0, 0, 0, 0])
        expectOpen(url, throws: .shapeTooLarge(path: url.path, tensor: "w", shape: [big, 4]))
        // A zero later in the shape does not excuse an overflowing prefix (Tensor multiplies in order).
        let z = dir.write("z.safetensors", header: #"{"w": {"dtype": "U8", "shape": [\#(big), 8, 0], "data_offsets": [0, 0]}}"#)
        expectOpen(z, throws: .shapeTooLarge(path: z.path, tensor: "w", shape: [big, 8, 0]))
        // Dimensions beyond Int64 saturate and are reported the same way.
        let u = dir.write("u.safetensors", header: #"{"w": {"dtype": "U8", "shape": [18446744073709551615, 2], "data_offsets": [0, 0]}}"#)
        expectOpen(u, throws: .shapeTooLarge(path: u.path, tensor: "w", shape: [Int.max, 2]))
    }

    @Test func dataOffsetsOutOfRange() {
        let dir = TempDir()
        let url = dir.write(header: #"{"w": {"dtype": "F32", "shape": [4], "data_offsets": [0, 16]}}"#, data: .init(repeating: 0, count: 8))
        expectOpen(url, throws: .offsetsOutOfRange(path: url.path, tensor: "w", begin: 0, end: 16, dataSize: 8))
        let huge = dir.write("h.safetensors", header: #"{"w": {"dtype": "U8", "shape": [1], "data_offsets": [0, 18446744073709551615]}}"#)
        expectOpen(huge, throws: .offsetsOutOfRange(path: huge.path, tensor: "w", begin: 0, end: UInt64.max, dataSize: 0))
    }

    @Test func dataOffsetsReversed() {
        let dir = TempDir()
        let url = dir.write(header: #"{"w": {"dtype": "F32", "shape": [1], "data_offsets": [8, 4]}}"#, data: .init(repeating: 0, count: 8))
        expectOpen(url, throws: .offsetsReversed(path: url.path, tensor: "w", begin: 8, end: 4))
    }

    @Test func overlappingTensors() {
        let dir = TempDir()
        let header = #"{"b": {"dtype": "F32", "shape": [2], "data_offsets": [4, 12]}, "a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]}}"#
        let url = dir.write(header: header, data: .init(repeating: 0, count: 12))
        expectOpen(url, throws: .overlappingTensors(path: url.path, first: "a", second: "b"))
        // A tensor nested inside a longer one overlaps it too; empty tensors overlap nothing.
        let nested = #"{"big": {"dtype": "U8", "shape": [10], "data_offsets": [0, 10]}, "e": {"dtype": "F32", "shape": [0], "data_offsets": [4, 4]}, "# +
            #""small": {"dtype": "U8", "shape": [2], "data_offsets": [6, 8]}}"#
        let n = dir.write("n.safetensors", header: nested, data: .init(repeating: 0, count: 10))
        expectOpen(n, throws: .overlappingTensors(path: n.path, first: "big", second: "small"))
    }

    @Test func byteCountMismatch() {
        let dir = TempDir()
        let url = dir.write(header: #"{"w": {"dtype": "F32", "shape": [3], "data_offsets": [0, 8]}}"#, data: .init(repeating: 0, count: 12))
        expectOpen(url, throws: .byteCountMismatch(path: url.path, tensor: "w", dtype: "F32", shape: [3], expected: 12, actual: 8))
    }

    @Test func unknownTensorName() throws {
        let dir = TempDir()
        let url = dir.write(header: #"{"w": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]}}"#, data: f32Bytes([1]))
        let f = try SafetensorsFile(contentsOf: url)
        #expect(throws: SafetensorsError.unknownTensor(path: url.path, name: "x", available: ["w"], total: 1)) { try f.tensor(named: "x") }
    }

    @Test func gapsAndEmptyFilesAreAccepted() throws {
        let dir = TempDir()
        // Unused bytes between tensors are tolerated; an empty header object is a file with no tensors.
        let url = dir.write(header: #"{"w": {"dtype": "U8", "shape": [2], "data_offsets": [2, 4]}}"#, data: [9, 9, 1, 2, 9])
        #expect(try SafetensorsFile(contentsOf: url).int64Values(named: "w") == [1, 2])
        let empty = dir.write("e.safetensors", header: "{}        ")
        let f = try SafetensorsFile(contentsOf: empty)
        #expect(f.tensorNames.isEmpty && f.metadata.isEmpty)
        #expect(throws: SafetensorsError.unknownTensor(path: empty.path, name: "x", available: [], total: 0)) { try f.tensor(named: "x") }
    }

    @Test func everyErrorDescribesItsFileAndSuggestsAFix() {
        let p = "/m/x.safetensors"
        let errors: [SafetensorsError] = [
            .fileNotFound(path: p), .unreadable(path: p, reason: "r"), .fileTooShort(path: p, byteCount: 0),
            .fileTooShort(path: p, byteCount: 3), .headerSizeBeyondFile(path: p, headerSize: 9, fileSize: 8),
            .headerNotUTF8(path: p, offset: 0), .headerNotJSON(path: p, reason: "r"), .headerNotObject(path: p, found: "array"),
            .invalidMetadata(path: p, reason: "r"), .entryNotObject(path: p, tensor: "t", found: "array"),
            .missingField(path: p, tensor: "t", field: "shape"),
            .wrongFieldType(path: p, tensor: "t", field: "shape", expected: "e", found: "f"),
            .unknownDType(path: p, tensor: "t", dtype: "X"), .invalidShape(path: p, tensor: "t", dimension: 0, value: "-1"),
            .shapeTooLarge(path: p, tensor: "t", shape: [1]), .offsetsOutOfRange(path: p, tensor: "t", begin: 0, end: 1, dataSize: 0),
            .offsetsReversed(path: p, tensor: "t", begin: 1, end: 0), .overlappingTensors(path: p, first: "t", second: "u"),
            .byteCountMismatch(path: p, tensor: "t", dtype: "F32", shape: [1], expected: 4, actual: 2),
            .unknownTensor(path: p, name: "t", available: ["u"], total: 1), .integerTensorAsFloat(path: p, tensor: "t", dtype: "I64"),
            .floatTensorAsInteger(path: p, tensor: "t", dtype: "F32"), .unsupportedDType(path: p, tensor: "t", dtype: "F64", wanted: "float32"),
            .duplicateTensorName(path: p, name: "t"), .reservedTensorName(path: p, name: "__metadata__"),
            .writeFailed(path: p, reason: "r"),
        ]
        for e in errors {
            #expect(e.description.contains(p), "\(e)")
            #expect(e.path == p)
            if case .fileNotFound = e {} else if case .unreadable = e {} else if case .fileTooShort = e {} else if case .headerSizeBeyondFile = e {}
            else if case .headerNotUTF8 = e {} else if case .headerNotJSON = e {} else if case .headerNotObject = e {}
            else if case .invalidMetadata = e {} else if case .unknownTensor = e {} else if case .duplicateTensorName = e {}
            else if case .reservedTensorName = e {} else if case .writeFailed = e {} else {
                #expect(e.description.contains("\"t\""), "\(e) should name the tensor")
            }
            #expect(e.suggestion?.hasPrefix("Suggested fix: ") ?? true)
            #expect(e.fullDescription.hasPrefix(e.description))
        }
    }

    // MARK: Robustness

    @Test func truncatedAndCorruptedFilesNeverCrash() throws {
        let dir = TempDir()
        let good = dir.file("good.safetensors")
        try Safetensors.write([("a", .randn([3, 2], seed: 1)), ("b", .randn([4], seed: 2)), ("c", .init(shape: [], values: [1]))],
                              metadata: ["k": "v"], to: good)
        let bytes = [UInt8](try Data(contentsOf: good))
        func attempt(_ data: [UInt8], _ name: String) -> Bool {
            let url = dir.write(name, bytes: data)
            guard let f = try? SafetensorsFile(contentsOf: url) else { return false }
            for n in f.tensorNames {
                _ = try? f.tensor(named: n)
                _ = try? f.int64Values(named: n)
            }
            return true
        }
        // Every truncation is rejected: a shorter data buffer cannot hold the last tensor.
        for length in 0..<bytes.count {
            #expect(!attempt(Array(bytes[..<length]), "trunc.safetensors"), "truncated to \(length) bytes")
        }
        // Random single-byte corruptions anywhere (mostly the header) either open or throw; none trap.
        var rng = SplitMix64(seed: 2024)
        for _ in 0..<400 {
            var b = bytes
            let at = Int(rng.next() % UInt64(min(b.count, 8 + 120)))
            b[at] = UInt8(truncatingIfNeeded: rng.next())
            _ = attempt(b, "corrupt.safetensors")
        }
    }

    @Test func concurrentReadsShareOneMap() async throws {
        let dir = TempDir()
        let url = dir.file("c.safetensors")
        let t = Tensor.randn([64, 64], seed: 5)
        try Safetensors.write([("t", t)], to: url)
        let f = try SafetensorsFile(contentsOf: url)
        let sums = await withTaskGroup(of: Float.self) { group in
            for _ in 0..<8 { group.addTask { (try? f.tensor(named: "t").scalars.reduce(0, +)) ?? .nan } }
            var out: [Float] = []
            for await s in group { out.append(s) }
            return out
        }
        #expect(Set(sums.map(\.bitPattern)).count == 1)
        #expect(sums[0] == t.scalars.reduce(0, +))
    }

    // MARK: Real weights

    @Test func readsResNet18Fixture() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let url = root.appendingPathComponent("../shared/fixtures/resnet18.safetensors").standardizedFileURL
        guard FileManager.default.fileExists(atPath: url.path) else {
            print("skipping: ResNet-18 fixture not found at \(url.path)")
            return
        }
        let f = try SafetensorsFile(contentsOf: url)
        // torchvision's resnet18 state dict: 102 float tensors plus 20 BatchNorm num_batches_tracked counters.
        #expect(f.tensorNames.count == 122)
        let infos = f.tensorInfos
        #expect(infos.filter { $0.dtype == .F32 }.count == 102)
        let counters = infos.filter { $0.dtype == .I64 }
        #expect(counters.count == 20 && counters.allSatisfy { $0.name.hasSuffix("num_batches_tracked") && $0.shape == [] })
        #expect(f.info("conv1.weight")?.shape == [64, 3, 7, 7])
        #expect(f.info("fc.weight")?.shape == [1000, 512])

        let conv1 = try f.tensor(named: "conv1.weight")
        #expect(conv1.shape == [64, 3, 7, 7])
        #expect(conv1.scalars[0..<3] == [0.024109674617648125, 0.007528774905949831, 0.04665837436914444])
        #expect(abs(conv1.scalars.reduce(0.0) { $0 + Double($1) } - -5.018750041808971) < 1e-9)
        #expect(try f.int64Values(named: "bn1.num_batches_tracked") == [0])
        #expect(throws: SafetensorsError.integerTensorAsFloat(path: url.path, tensor: "bn1.num_batches_tracked", dtype: "I64")) {
            try f.tensor(named: "bn1.num_batches_tracked")
        }

        // Re-writing the float tensors and reading them back preserves every value.
        let dir = TempDir()
        let out = dir.file("resnet18-f32.safetensors")
        let floats = try infos.filter { $0.dtype == .F32 }.map { ($0.name, try f.tensor(named: $0.name)) }
        #expect(floats.allSatisfy { $0.1.scalars.allSatisfy(\.isFinite) })
        try Safetensors.write(floats, metadata: ["source": "resnet18"], to: out)
        let g = try SafetensorsFile(contentsOf: out)
        #expect(g.tensorNames.count == 102)
        for (name, t) in floats {
            let r = try g.tensor(named: name)
            #expect(r.shape == t.shape && r.scalars == t.scalars, "\(name)")
        }
    }
}
