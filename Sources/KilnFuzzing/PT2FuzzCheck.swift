import Foundation
import Kiln

/// The torch.export fuzz target. An input starting with the zip magic is opened as a `.pt2`
/// image; anything else is taken as `models/model.json` and wrapped in a torch.export-style
/// archive with four known float32 weights (`conv.weight` [4, 3, 3, 3], `conv.bias` [4],
/// `fc.weight` [2, 4], `fc.bias` [2], the program of `fuzz/corpus/pt2/micro.json`), so
/// mutations reach the JSON decoder and the importer instead of failing the zip's CRC checks.
///
/// Invariants: a rejected input fails with a ``PT2ImportError`` that is bad input, names the
/// image and suggests a fix (no other error type, no trap); an accepted program has inputs,
/// outputs and a validated graph, and one run on zeros of batch 1 returns as many outputs as
/// its signature or throws a typed Kiln error.
public enum PT2FuzzCheck {
    /// The name the image is given in errors.
    public static let url = URL(fileURLWithPath: "/fuzz/input.pt2")

    static let limits: PT2ImportLimits = {
        var l = PT2ImportLimits()
        l.maxFileBytes = 1 << 20
        l.maxJSONBytes = 1 << 20
        l.maxNodes = 500
        l.maxTensorElements = 1 << 18
        l.maxWeightBytes = 1 << 22
        return l
    }()

    /// (state-dict key, sizes) of the weights a wrapped `model.json` may read.
    static let weights: [(String, [Int])] = [("conv.weight", [4, 3, 3, 3]), ("conv.bias", [4]), ("fc.weight", [2, 4]), ("fc.bias", [2])]

    /// `model.json` bytes in an archive `fuzz/` with the known weights and their config.
    public static func wrap(_ modelJSON: Data) -> Data {
        var members: [(String, [UInt8])] = [("fuzz/archive_format", Array("pt2".utf8)), ("fuzz/models/model.json", [UInt8](modelJSON))]
        var config: [String] = []
        for (i, (key, sizes)) in weights.enumerated() {
            let count = sizes.reduce(1, *)
            var strides = [Int](repeating: 1, count: sizes.count)
            for d in sizes.indices.dropLast().reversed() { strides[d] = strides[d + 1] * sizes[d + 1] }
            let values = (0..<count).flatMap { e -> [UInt8] in
                let bits = (Float(e % 13 - 6 + i) / 8).bitPattern
                return (0..<4).map { UInt8(truncatingIfNeeded: bits >> (8 * $0)) }
            }
            members.append(("fuzz/data/weights/weight_\(i)", values))
            let ints = { (v: [Int]) in "[" + v.map { "{\"as_int\": \($0)}" }.joined(separator: ", ") + "]" }
            config.append("\"\(key)\": {\"path_name\": \"weight_\(i)\", \"is_param\": true, \"use_pickle\": false, \"tensor_meta\": "
                          + "{\"dtype\": 7, \"sizes\": \(ints(sizes)), \"strides\": \(ints(strides)), \"storage_offset\": {\"as_int\": 0}, \"layout\": 7}}")
        }
        members.append(("fuzz/data/weights/model_weights_config.json", Array("{\"config\": {\(config.joined(separator: ", "))}}".utf8)))
        return TorchSaveImage.zip(members)
    }

    /// Runs one input; returns the invariants it broke.
    public static func violations(for input: Data) -> [String] {
        let image = input.starts(with: [0x50, 0x4B, 0x03, 0x04]) ? input : wrap(input)
        let program: ExportedProgram
        do {
            program = try importPT2(data: image, url: url, limits: limits)
        } catch let e as PT2ImportError {
            return RejectionCheck.violations(e, naming: url.path)
        } catch {
            return ["import threw \(type(of: error)), not PT2ImportError: \(error)"]
        }
        return ONNXFuzzCheck.run(program)
    }
}
