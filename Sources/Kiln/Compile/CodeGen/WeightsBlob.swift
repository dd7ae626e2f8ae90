import Foundation

/// The weights file a library embeds (`.incbin`): float32 tensors, little-endian, each
/// starting on a 64-byte boundary. Offsets are in floats from the start.
struct WeightsBlob {
    private(set) var data = Data()
    /// Floats per alignment unit (64 bytes).
    static let alignment = 16

    /// Appends `values`, returning their offset in floats.
    mutating func append(_ values: [Float]) -> Int {
        let pad = (Self.alignment - (data.count / 4) % Self.alignment) % Self.alignment
        data.append(Data(count: pad * 4))
        let offset = data.count / 4
        guard !values.isEmpty else { return offset }
        values.withUnsafeBufferPointer { data.append(UnsafeBufferPointer(start: UnsafeRawPointer($0.baseAddress!).assumingMemoryBound(to: UInt8.self), count: $0.count * 4)) }
        return offset
    }

    mutating func append(_ t: Tensor) -> Int { append(t.scalars) }
    var floatCount: Int { data.count / 4 }
}
