import Foundation
import Kiln

/// The safetensors fuzz target: opens the input with ``SafetensorsFile/init(data:url:)``
/// (the same validation as a mapped file), then reads every tensor and checks the reader
/// against an independent decoding of the input's bytes.
///
/// Invariants: a rejected input fails with a header-validation error that names the image and
/// suggests a fix; an accepted one has unique names, every byte range inside the data and
/// consistent with `8 + header size`, byte count = product(shape) · dtype size with no
/// overflow, non-empty ranges sorted and disjoint; every tensor reads back as its raw bytes
/// say (F32 bit-exact, BF16 exactly widened, F16 as `Float16`, integers exactly), and reading
/// it with the wrong accessor throws the documented error.
public enum SafetensorsFuzzCheck {
    /// The name the image is given in errors.
    public static let url = URL(fileURLWithPath: "/fuzz/input.safetensors")

    /// Runs one input; returns the invariants it broke.
    public static func violations(for input: Data) -> [String] {
        let bytes = [UInt8](input)
        let file: SafetensorsFile
        do {
            file = try SafetensorsFile(data: input, url: url)
        } catch {
            return rejectionViolations(error)
        }
        var out: [String] = []
        // The header size is the first 8 bytes (little-endian); open succeeded, so they exist.
        let headerSize = bytes[0..<8].reversed().reduce(0) { $0 << 8 | Int($1) }
        let dataStart = 8 + headerSize
        let infos = file.tensorInfos
        if Set(infos.map(\.name)).count != infos.count { out.append("duplicate tensor names \(infos.map(\.name))") }
        if file.tensorNames != infos.map(\.name) { out.append("tensorNames differ from tensorInfos") }
        var previousEnd = 0, previousStart = 0
        for info in infos {
            let name = info.name
            if name == "__metadata__" { out.append("__metadata__ reported as a tensor") }
            if file.info(name) != info { out.append("\(name): info(named:) differs from tensorInfos") }
            let range = info.fileByteRange
            if info.dataOffsets.lowerBound < 0 || range.lowerBound != dataStart + info.dataOffsets.lowerBound
                || range.count != info.dataOffsets.count || range.upperBound > bytes.count {
                out.append("\(name): byte range \(range) (offsets \(info.dataOffsets)) not inside the data \(dataStart)..<\(bytes.count)")
                continue
            }
            var elements = 1, overflow = false
            for d in info.shape {
                let (e, o) = elements.multipliedReportingOverflow(by: d)
                elements = e
                overflow = overflow || o || d < 0
            }
            let (expectedBytes, o2) = elements.multipliedReportingOverflow(by: info.dtype.byteSize)
            if overflow || o2 || expectedBytes != info.byteCount || info.elementCount != elements {
                out.append("\(name): shape \(info.shape) × \(info.dtype) does not give its \(info.byteCount) bytes")
                continue
            }
            if info.dataOffsets.lowerBound < previousStart { out.append("\(name): tensors not in data-offset order") }
            previousStart = info.dataOffsets.lowerBound
            if !info.dataOffsets.isEmpty {
                if info.dataOffsets.lowerBound < previousEnd { out.append("\(name): overlaps the previous tensor") }
                previousEnd = max(previousEnd, info.dataOffsets.upperBound)
            }
            out += readViolations(file, info, raw: bytes[range])
        }
        let missing = "\u{1}not-a-tensor"
        if file.info(missing) == nil {
            do {
                _ = try file.tensor(named: missing)
                out.append("reading an absent tensor succeeded")
            } catch {
                if case .unknownTensor = error {} else { out.append("absent tensor: unexpected \(error)") }
            }
        }
        return out
    }

    /// A rejected input must fail in header validation, naming the image, with a fix.
    static func rejectionViolations(_ error: SafetensorsError) -> [String] {
        var out: [String] = []
        switch error {
        case .fileNotFound, .unreadable, .unknownTensor, .integerTensorAsFloat, .floatTensorAsInteger,
             .unsupportedDType, .duplicateTensorName, .reservedTensorName, .writeFailed:
            out.append("open failed with a non-validation error: \(error)")
        default: break
        }
        return out + RejectionCheck.violations(error, naming: url.path)
    }

    /// Reads `info` through the accessor its dtype allows (checked against `raw`) and the one
    /// it does not (must throw the documented error).
    static func readViolations(_ file: SafetensorsFile, _ info: SafetensorsFile.TensorInfo, raw: ArraySlice<UInt8>) -> [String] {
        let name = info.name, n = info.elementCount
        let base = raw.startIndex
        func u16(_ i: Int) -> UInt16 { UInt16(raw[base + 2 * i]) | UInt16(raw[base + 2 * i + 1]) << 8 }
        func uint(_ i: Int, _ size: Int) -> UInt64 {
            (0..<size).reduce(UInt64(0)) { $0 | UInt64(raw[base + i * size + $1]) << (8 * UInt64($1)) }
        }
        var out: [String] = []
        do {
            let raw2 = try file.withUnsafeRawBytes(of: name) { Array($0) }
            if raw2 != Array(raw) { out.append("\(name): withUnsafeRawBytes differs from the file's bytes") }
        } catch {
            out.append("\(name): withUnsafeRawBytes threw \(error)")
        }
        switch info.dtype {
        case .F32, .F16, .BF16:
            do {
                let t = try file.tensor(named: name)
                guard t.shape == info.shape, t.count == n else {
                    return out + ["\(name): read shape \(t.shape) (\(t.count) elements), header says \(info.shape)"]
                }
                let values = t.scalars
                for i in 0..<n {
                    let expected: Float
                    switch info.dtype {
                    case .F32: expected = Float(bitPattern: UInt32(truncatingIfNeeded: uint(i, 4)))
                    case .BF16: expected = Float(bitPattern: UInt32(u16(i)) << 16)
                    default: expected = Float(Float16(bitPattern: u16(i)))
                    }
                    let same = expected.isNaN ? values[i].isNaN : values[i].bitPattern == expected.bitPattern
                    if !same || (info.dtype != .F16 && values[i].bitPattern != expected.bitPattern) {
                        out.append("\(name)[\(i)] (\(info.dtype)): read \(values[i]), bytes say \(expected)")
                        break
                    }
                }
            } catch {
                out.append("\(name): reading a \(info.dtype) tensor threw \(error)")
            }
            expectThrow(&out, name, "int64Values") { try file.int64Values(named: name) } matches: {
                if case .floatTensorAsInteger = $0 { true } else { false }
            }
        case .BOOL, .U8, .I8, .I16, .U16, .I32, .U32, .I64:
            do {
                let values = try file.int64Values(named: name)
                let size = info.dtype.byteSize
                let signed = [.I8, .I16, .I32, .I64].contains(info.dtype)
                for i in 0..<n where i < values.count {
                    let u = uint(i, size)
                    let expected: Int64
                    if info.dtype == .BOOL { expected = u != 0 ? 1 : 0 } else if signed && size < 8 {
                        let shift = UInt64(64 - 8 * size)
                        expected = Int64(bitPattern: u << shift) >> Int64(shift)
                    } else {
                        expected = Int64(bitPattern: u)
                    }
                    if values[i] != expected {
                        out.append("\(name)[\(i)] (\(info.dtype)): read \(values[i]), bytes say \(expected)")
                        break
                    }
                }
                if values.count != n { out.append("\(name): read \(values.count) integers, header says \(n)") }
            } catch {
                out.append("\(name): reading a \(info.dtype) tensor as integers threw \(error)")
            }
            expectThrow(&out, name, "tensor(named:)") { try file.tensor(named: name) } matches: {
                if case .integerTensorAsFloat = $0 { true } else { false }
            }
        case .U64, .F8_E5M2, .F8_E4M3, .F8_E8M0, .F64:
            expectThrow(&out, name, "tensor(named:)") { try file.tensor(named: name) } matches: {
                if case .unsupportedDType = $0 { true } else { info.dtype == .U64 }
            }
            expectThrow(&out, name, "int64Values") { try file.int64Values(named: name) } matches: {
                if case .unsupportedDType = $0 { true } else { info.dtype != .U64 }
            }
        }
        return out
    }

    private static func expectThrow<T>(_ out: inout [String], _ name: String, _ accessor: String,
                                       _ body: () throws -> T,
                                       matches: (SafetensorsError) -> Bool) {
        do {
            _ = try body()
            out.append("\(name): \(accessor) succeeded on a tensor of the wrong kind")
        } catch let error as SafetensorsError {
            if !matches(error) { out.append("\(name): \(accessor) threw the wrong error: \(error)") }
        } catch {
            out.append("\(name): \(accessor) threw a \(type(of: error)): \(error)")
        }
    }
}
