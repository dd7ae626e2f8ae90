import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Writing safetensors files.
public enum Safetensors {
    /// Writes `tensors` as F32 with string `metadata` to `url`.
    ///
    /// Output is deterministic — tensors sorted by name (UTF-8 byte order), compact JSON with
    /// `__metadata__` first (omitted when empty) and keys in a fixed order, the header padded
    /// with spaces to a multiple of 8 bytes, data contiguous in name order — so identical
    /// input gives byte-identical files.
    ///
    /// Atomic and durable (``AtomicFile``): `url` is either untouched or the whole new file,
    /// synced to disk.
    public static func write(_ tensors: [(String, Tensor)], metadata: [String: String] = [:], to url: URL) throws(SafetensorsError) {
        let path = url.displayPath
        let sorted = tensors.sorted { SafetensorsFile.utf8Less($0.0, $1.0) }
        for (i, (name, _)) in sorted.enumerated() {
            if name == "__metadata__" { throw .reservedTensorName(path: path, name: name) }
            if i > 0, sorted[i - 1].0.utf8.elementsEqual(name.utf8) { throw .duplicateTensorName(path: path, name: name) }
        }
        let header = headerBytes(sorted.map { ($0.0, $0.1.shape) }, metadata: metadata)

        do {
            try AtomicFile.write(to: url, durable: true) { handle in
                let fd = handle.fileDescriptor
                var size = UInt64(header.count).littleEndian
                try withUnsafeBytes(of: &size) { try writeAll(fd, $0) }
                try header.withUnsafeBytes { try writeAll(fd, $0) }
                for (_, t) in sorted {
                    #if _endian(big)
                    let le = t.scalars.map { $0.bitPattern.littleEndian }
                    try le.withUnsafeBytes { try writeAll(fd, $0) }
                    #else
                    try t.withUnsafeBufferPointer { try writeAll(fd, UnsafeRawBufferPointer($0)) }
                    #endif
                }
            }
        } catch {
            throw .writeFailed(path: path, reason: error.message)
        }
    }

    /// Writes tensors given as a dictionary (same format and ordering as the array form).
    public static func write(_ tensors: [String: Tensor], metadata: [String: String] = [:], to url: URL) throws(SafetensorsError) {
        try write(Array(tensors), metadata: metadata, to: url)
    }

    /// The header for F32 tensors `tensors` (already in output order): compact JSON padded with
    /// spaces to a multiple of 8 bytes, as the reference implementation writes it.
    static func headerBytes(_ tensors: [(name: String, shape: [Int])], metadata: [String: String]) -> [UInt8] {
        var json = "{"
        var first = true
        if !metadata.isEmpty {
            json += "\"__metadata__\":{"
            let pairs = metadata.sorted { SafetensorsFile.utf8Less($0.key, $1.key) }
            json += pairs.map { jsonString($0.key) + ":" + jsonString($0.value) }.joined(separator: ",")
            json += "}"
            first = false
        }
        var offset = 0
        for (name, shape) in tensors {
            let bytes = shape.reduce(4, *)
            if !first { json += "," }
            first = false
            json += jsonString(name) + ":{\"dtype\":\"F32\",\"shape\":["
            json += shape.map(String.init).joined(separator: ",")
            json += "],\"data_offsets\":[\(offset),\(offset + bytes)]}"
            offset += bytes
        }
        json += "}"
        var out = Array(json.utf8)
        out.append(contentsOf: repeatElement(UInt8(ascii: " "), count: (8 - out.count % 8) % 8))
        return out
    }

    /// A JSON string literal, escaping as serde_json does (``jsonStringLiteral(_:)``).
    static func jsonString(_ s: String) -> String { jsonStringLiteral(s) }

    /// Writes every byte, retrying short writes and EINTR.
    private static func writeAll(_ fd: Int32, _ bytes: UnsafeRawBufferPointer) throws(WriteFailure) {
        guard var p = bytes.baseAddress else { return }
        var left = bytes.count
        while left > 0 {
            #if canImport(Glibc)
            let n = Glibc.write(fd, p, min(left, 1 << 30))
            #elseif canImport(Musl)
            let n = Musl.write(fd, p, min(left, 1 << 30))
            #else
            let n = Darwin.write(fd, p, min(left, 1 << 30))
            #endif
            if n < 0 {
                if errno == EINTR { continue }
                throw WriteFailure(description: MappedFile.describe(errno: errno))
            }
            if n == 0 { throw WriteFailure(description: "write made no progress") }
            p += n
            left -= n
        }
    }

    /// A failed write(2), described as ``AtomicFileError``'s reason.
    private struct WriteFailure: Error, CustomStringConvertible {
        let description: String
    }
}
