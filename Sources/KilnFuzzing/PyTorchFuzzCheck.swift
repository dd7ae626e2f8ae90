import Foundation
import Kiln

/// The PyTorch-checkpoint fuzz target. An input starting with the zip magic is opened as a
/// `.pth` image; anything else is taken as a bare `data.pkl` and wrapped in a torch.save-style
/// archive with four known storages (so mutations reach the unpickler instead of failing the
/// zip's CRC checks). Limits are small so that each input runs fast.
///
/// Invariants: a rejected input fails with a bad-input error that names the image and suggests
/// a fix; an accepted one has unique names, rank-consistent sizes and strides, and every
/// tensor reads back (twice, identically; or fails as a malformed zip when its storage member
/// fails its CRC, checked only on read) through the accessor its dtype allows with the
/// shape its info gives, while the other accessor throws the documented error. For wrapped
/// pickles every element is also checked against an independent decode of the known storages.
public enum PyTorchFuzzCheck {
    /// The name the image is given in errors.
    public static let url = URL(fileURLWithPath: "/fuzz/input.pth")

    static let limits: PyTorchLimits = {
        var l = PyTorchLimits()
        l.maxExpandedValues = 200_000
        l.maxTotalBytes = 1 << 24
        l.maxTensors = 10_000
        return l
    }()

    /// The storages a bare pickle is wrapped with: `data/0` … `data/3`, 256 bytes each.
    public static let storages: [[UInt8]] = (0..<4).map { s in (0..<256).map { UInt8(truncatingIfNeeded: s * 37 + $0 * 11 + 5) } }

    /// Runs one input; returns the invariants it broke.
    public static func violations(for input: Data) -> [String] {
        let wrapped = !input.starts(with: [0x50, 0x4B, 0x03, 0x04])
        let image = wrapped ? TorchSaveImage.archive(pickle: [UInt8](input), storages: storages) : input
        let checkpoint: PyTorchCheckpoint
        do {
            checkpoint = try PyTorchCheckpoint(data: image, url: url, limits: limits)
        } catch {
            return rejectionViolations(error)
        }
        var out: [String] = []
        let infos = checkpoint.tensorInfos
        if Set(infos.map(\.name)).count != infos.count { out.append("duplicate tensor names") }
        for info in infos {
            guard info.shape.count == info.stride.count else { out.append("\(info.name): rank of size and stride differ"); continue }
            out += readViolations(checkpoint, info, storage: wrapped ? storage(of: info) : nil)
        }
        do {
            _ = try checkpoint.tensor(named: "\u{1}absent")
            out.append("reading an absent tensor succeeded")
        } catch {
            if case .unknownTensor = error {} else { out.append("absent tensor: unexpected \(error)") }
        }
        return out
    }

    static func storage(of info: PyTorchCheckpoint.TensorInfo) -> [UInt8]? {
        guard let key = Int(info.storageMember.split(separator: "/").last ?? ""), storages.indices.contains(key) else { return nil }
        return storages[key]
    }

    static func rejectionViolations(_ error: PyTorchError) -> [String] {
        var out: [String] = []
        switch error {
        case .fileNotFound, .unreadable, .unknownTensor, .integerTensorAsFloat, .floatTensorAsInteger, .unsupportedDType:
            out.append("open failed with a non-validation error: \(error)")
        default: break
        }
        return out + RejectionCheck.violations(error, naming: url.path)
    }

    /// The storage element of row-major element `i`, by division (not the reader's odometer).
    static func element(_ i: Int, _ info: PyTorchCheckpoint.TensorInfo) -> Int {
        var rest = i, e = info.storageOffset
        for d in info.shape.indices.reversed() {
            e += (rest % info.shape[d]) * info.stride[d]
            rest /= info.shape[d]
        }
        return e
    }

    /// Storage bytes are read (and CRC-checked) only when a tensor is asked for, so a read of
    /// a damaged storage member may fail — as malformed zip, naming the file, with a fix.
    static func storageReadViolations(_ error: PyTorchError, _ name: String, _ info: PyTorchCheckpoint.TensorInfo) -> [String] {
        guard case .malformedZip = error else { return ["\(name): reading a \(info.dtype) tensor threw \(error)"] }
        return RejectionCheck.violations(error, naming: url.path)
    }

    static func readViolations(_ c: PyTorchCheckpoint, _ info: PyTorchCheckpoint.TensorInfo, storage: [UInt8]?) -> [String] {
        let name = info.name, n = info.elementCount
        func raw(_ e: Int) -> UInt64 {
            let size = info.dtype.byteSize
            return (0..<size).reduce(UInt64(0)) { $0 | UInt64(storage![e * size + $1]) << (8 * UInt64($1)) }
        }
        switch info.dtype {
        case .float32, .float16, .bfloat16:
            do {
                let a = try c.tensor(named: name), b = try c.tensor(named: name)
                guard a.shape == info.shape, a.count == n else { return ["\(name): read shape \(a.shape), info says \(info.shape)"] }
                let av = a.scalars, bv = b.scalars
                if av.map(\.bitPattern) != bv.map(\.bitPattern) { return ["\(name): two reads differ"] }
                if storage != nil {
                    for i in 0..<n {
                        let r = raw(element(i, info))
                        let expected: Float = switch info.dtype {
                        case .float32: Float(bitPattern: UInt32(r))
                        case .bfloat16: Float(bitPattern: UInt32(r) << 16)
                        default: Float(Float16(bitPattern: UInt16(r)))
                        }
                        if !(expected.isNaN && av[i].isNaN) && expected.bitPattern != av[i].bitPattern {
                            return ["\(name)[\(i)]: read \(av[i]), storage says \(expected)"]
                        }
                    }
                }
            } catch {
                return storageReadViolations(error, name, info)
            }
            do { _ = try c.int64Values(named: name); return ["\(name): int64Values read a float tensor"] } catch {
                if case .floatTensorAsInteger = error {} else { return ["\(name): int64Values threw \(error)"] }
            }
        case .float64:
            do { _ = try c.tensor(named: name); return ["\(name): a float64 tensor was read as float32"] } catch {
                if case .unsupportedDType = error {} else { return ["\(name): tensor(named:) threw \(error)"] }
            }
        case .int64, .int32, .int16, .int8, .uint8, .bool:
            do {
                let v = try c.int64Values(named: name)
                if v.count != n { return ["\(name): read \(v.count) integers, info says \(n)"] }
                if storage != nil {
                    let bits = 8 * info.dtype.byteSize
                    for i in 0..<n {
                        let r = raw(element(i, info))
                        let expected: Int64 = switch info.dtype {
                        case .bool: r != 0 ? 1 : 0
                        case .uint8: Int64(r)
                        default: Int64(bitPattern: r << UInt64(64 - bits)) >> Int64(64 - bits)
                        }
                        if v[i] != expected { return ["\(name)[\(i)]: read \(v[i]), storage says \(expected)"] }
                    }
                }
            } catch {
                return storageReadViolations(error, name, info)
            }
            do { _ = try c.tensor(named: name); return ["\(name): tensor(named:) read an integer tensor"] } catch {
                if case .integerTensorAsFloat = error {} else { return ["\(name): tensor(named:) threw \(error)"] }
            }
        }
        return []
    }
}
