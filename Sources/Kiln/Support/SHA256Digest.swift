import Foundation
internal import CKilnKernels

/// SHA-256 digests for cache keys, weight hashes and recipe source hashes (the C
/// implementation in CKilnKernels: fast even in debug builds, where 45 MB of ResNet-18
/// weights must be hashed on every compile).
public struct SHA256Digest {
    private var parts: [String] = []

    /// Hex SHA-256 of `bytes`.
    public static func hex(_ bytes: UnsafeRawBufferPointer) -> String {
        var digest = [UInt8](repeating: 0, count: 32)
        kiln_sha256(bytes.baseAddress, bytes.count, &digest)
        return digest.map { String(format: "%02x", $0) }.joined()
    }

    public static func hex(_ data: Data) -> String { data.withUnsafeBytes { hex($0) } }
    public static func hex(_ text: String) -> String { hex(Data(text.utf8)) }

    /// Adds a labelled component to a composite key.
    mutating func add(_ label: String, _ value: String) { parts.append("\(label)=\(Self.hex(value))") }
    mutating func add(_ label: String, data: Data) { parts.append("\(label)=\(Self.hex(data))") }

    /// Hex SHA-256 over all components, in the order added.
    var finalHex: String { Self.hex(parts.joined(separator: "\n")) }
}
