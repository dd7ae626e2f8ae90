import Foundation
import Kiln

/// Writes checkpoints the way `torch.save` does, without Python: pickle protocol 2 in
/// `<archive>/data.pkl` (an `OrderedDict` of `_rebuild_tensor_v2` calls whose storages are
/// persistent ids), every storage as a STORED member `<archive>/data/<key>`, plus `byteorder`
/// and `version`. The tests build ResNet-18 `.pth` files from safetensors with it, and the
/// fuzzer wraps bare pickles in it so that mutations reach the unpickler past the zip's CRCs.
public enum TorchSaveImage {
    /// A zip of `members` (name, bytes), all STORED, in order.
    public static func zip(_ members: [(String, [UInt8])]) -> Data {
        var out = [UInt8](), central = [UInt8]()
        for (name, bytes) in members {
            let offset = UInt64(out.count), crc = UInt64(crc32(bytes)), size = UInt64(bytes.count)
            let nameBytes = Array(name.utf8)
            func header(_ signature: UInt64, central: Bool) -> [UInt8] {
                var h = le(signature, 4)
                if central { h += le(20, 2) }                             // version made by
                h += le(20, 2)                                            // version needed
                h += le(0, 2)                                             // flags
                h += le(0, 2)                                             // STORED
                h += le(0, 2)                                             // time
                h += le(0x21, 2)                                          // date (1980-01-01)
                h += le(crc, 4)
                h += le(size, 4)
                h += le(size, 4)
                h += le(UInt64(nameBytes.count), 2)
                h += le(0, 2)                                             // extra field length
                if central { h += le(0, 2) + le(0, 2) + le(0, 2) + le(0, 4) + le(offset, 4) }
                return h + nameBytes
            }
            out += header(0x0403_4B50, central: false)
            out += bytes
            central += header(0x0201_4B50, central: true)
        }
        let cdOffset = UInt64(out.count), count = UInt64(members.count)
        out += central
        out += le(0x0605_4B50, 4) + le(0, 2) + le(0, 2)
        out += le(count, 2) + le(count, 2)
        out += le(UInt64(central.count), 4) + le(cdOffset, 4) + le(0, 2)
        return Data(out)
    }

    /// A torch.save-style archive around `pickle` with `storages` as `data/0`, `data/1`, ….
    public static func archive(pickle: [UInt8], storages: [[UInt8]], folder: String = "archive",
                               byteOrder: String = "little") -> Data {
        var members: [(String, [UInt8])] = [("\(folder)/data.pkl", pickle), ("\(folder)/byteorder", Array(byteOrder.utf8))]
        for (i, s) in storages.enumerated() { members.append(("\(folder)/data/\(i)", s)) }
        members.append(("\(folder)/version", Array("3\n".utf8)))
        return zip(members)
    }

    /// `torch.save(state_dict)` of float32 tensors (contiguous, one storage each), as an
    /// OrderedDict in the given order.
    public static func stateDict(_ tensors: [(String, Tensor)], folder: String = "archive") -> Data {
        var p = PickleWriter()
        p.op(0x80); p.byte(2)                                   // PROTO 2
        p.global("collections", "OrderedDict"); p.op(0x29); p.op(0x52)   // OrderedDict()
        p.op(0x28)                                             // MARK
        var storages: [[UInt8]] = []
        for (i, (name, t)) in tensors.enumerated() {
            p.string(name)
            p.global("torch._utils", "_rebuild_tensor_v2")
            p.op(0x28)                                         // MARK (args)
            p.op(0x28); p.string("storage"); p.global("torch", "FloatStorage"); p.string("\(i)"); p.string("cpu")
            p.int(t.count); p.op(0x74); p.op(0x51)             // TUPLE, BINPERSID
            p.int(0)
            var stride = [Int](repeating: 1, count: t.shape.count)
            for d in stride.indices.dropLast().reversed() { stride[d] = stride[d + 1] * t.shape[d + 1] }
            p.op(0x28); t.shape.forEach { p.int($0) }; p.op(0x74)
            p.op(0x28); stride.forEach { p.int($0) }; p.op(0x74)
            p.op(0x89)                                         // requires_grad False
            p.global("collections", "OrderedDict"); p.op(0x29); p.op(0x52)
            p.op(0x74); p.op(0x52)                             // TUPLE, REDUCE
            storages.append(t.withUnsafeBufferPointer { Array(UnsafeRawBufferPointer($0)) })   // little-endian host
        }
        p.op(0x75); p.op(0x2E)                                 // SETITEMS, STOP
        return archive(pickle: p.bytes, storages: storages, folder: folder)
    }

    static func le(_ v: UInt64, _ n: Int) -> [UInt8] { (0..<n).map { UInt8(truncatingIfNeeded: v >> (8 * UInt64($0))) } }

    /// CRC-32 (IEEE), as zip stores it.
    public static func crc32(_ bytes: [UInt8]) -> UInt32 {
        var crc: UInt32 = 0xFFFF_FFFF
        bytes.withUnsafeBufferPointer { b in
            crcTable.withUnsafeBufferPointer { table in
                for x in b { crc = table[Int((crc ^ UInt32(x)) & 0xFF)] ^ (crc >> 8) }
            }
        }
        return ~crc
    }

    private static let crcTable: [UInt32] = (0..<256).map { (n: UInt32) in
        (0..<8).reduce(n) { c, _ in c & 1 != 0 ? (c >> 1) ^ 0xEDB8_8320 : c >> 1 }
    }
}

/// The few pickle opcodes ``TorchSaveImage`` writes.
struct PickleWriter {
    var bytes: [UInt8] = []
    mutating func op(_ b: UInt8) { bytes.append(b) }
    mutating func byte(_ b: UInt8) { bytes.append(b) }
    mutating func global(_ module: String, _ name: String) { bytes += [0x63] + Array("\(module)\n\(name)\n".utf8) }
    mutating func string(_ s: String) { bytes += [0x58] + TorchSaveImage.le(UInt64(s.utf8.count), 4) + Array(s.utf8) }
    mutating func int(_ v: Int) {
        if (0..<256).contains(v) { bytes += [0x4B, UInt8(v)] } else if (0..<65536).contains(v) {
            bytes += [0x4D] + TorchSaveImage.le(UInt64(v), 2)
        } else { bytes += [0x4A] + TorchSaveImage.le(UInt64(UInt32(truncatingIfNeeded: v)), 4) }
    }
}
