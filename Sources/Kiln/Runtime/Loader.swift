import Foundation
internal import CKilnKernels

/// Loads a library written by ``aotCompile(_:exampleInputs:options:)``, like
/// `torch._inductor.aoti_load_package`: a callable model, ready in milliseconds.
///
/// Checks at load: the file exists, is a complete ELF shared object, exports Kiln's ABI, and
/// was built for this ABI version. Every call is guarded (input count, rank, static dims,
/// batch within 1…max) with the same errors and suggestions as the exported program.
///
/// - Parameter device: `.cpu`; `.cuda` throws ``LoadError/unsupportedDevice(_:)``.
/// - Throws: ``LoadError`` saying what is wrong with the file.
public func aotLoad(_ path: String, device: Device = .cpu) throws -> CompiledModel {
    guard device == .cpu else { throw LoadError.unsupportedDevice(device.rawValue) }
    return try CompiledModel(library: LoadedLibrary(path: path))
}

/// A model compiled ahead of time and loaded from its shared library.
///
/// Thread-safe: calls from several threads run concurrently (each gets its own activation
/// memory; see kiln_model.h). The library is closed when the last reference goes away.
public final class CompiledModel: @unchecked Sendable {
    /// The library's path.
    public let path: String
    /// The metadata JSON: Kiln version, graph hash, options, autotune choices, CPU features.
    public let metadataJSON: String
    /// The model's name and graph hash, from the metadata.
    public let modelName: String
    public let graphHash: String
    /// The input checks, rebuilt from the exported signature recorded in the library.
    public let guards: InputGuards
    /// Output names and symbolic shapes.
    public let outputs: [GraphInput]
    private let library: LoadedLibrary
    private let instance: OpaquePointer

    init(library: LoadedLibrary) throws {
        let text = library.metadataText
        struct Meta: Decodable {
            let model: String
            let graph_hash: String
            let inputs: [GraphInput]
            let outputs: [GraphInput]
            let range_constraints: [RangeConstraint]
            let requires_cpu_features: [String]?
        }
        let meta: Meta
        do {
            meta = try JSONDecoder().decode(Meta.self, from: Data(text.utf8))
        } catch {
            throw LoadError.malformed(path: library.path, message: "unreadable metadata (\(error))")
        }
        let missing = CPUInfo.current.missingFeatures(meta.requires_cpu_features ?? [])
        guard missing.isEmpty else { throw LoadError.missingCPUFeatures(path: library.path, features: missing) }
        guard let instance = library.create() else {
            throw LoadError.malformed(path: library.path, message: "kiln_create failed: \(library.lastErrorText)")
        }
        self.library = library
        self.instance = instance
        path = library.path
        metadataJSON = text
        modelName = meta.model
        graphHash = meta.graph_hash
        guards = InputGuards(inputs: meta.inputs, rangeConstraints: meta.range_constraints)
        outputs = meta.outputs
    }

    deinit { library.destroy(instance) }

    /// Runs the model on `inputs` (in signature order).
    /// - Throws: ``InputGuardError`` when an input does not fit; ``LoadError/runFailed`` if the
    ///   library itself fails; ``NonFiniteInputError`` when `checkFinite` is set and an
    ///   input holds NaN or ±Inf (by default they are computed on, as PyTorch does).
    public func run(_ inputs: [Tensor], checkFinite: Bool = false) throws -> [Tensor] {
        let bindings = try guards.check(inputs)
        if checkFinite { try guards.checkFinite(inputs) }
        let results = outputs.map { o in
            Tensor(uninitializedShape: o.shape.map { d in d.staticValue ?? bindings[d.symbolName ?? ""] ?? 1 })
        }
        var ins = inputs.map { t -> kiln_tensor in
            var k = kiln_tensor()
            k.data = t.storage.base
            k.rank = Int32(t.rank)
            withUnsafeMutableBytes(of: &k.shape) { raw in
                let dims = raw.bindMemory(to: Int64.self)
                for (i, d) in t.shape.enumerated() { dims[i] = Int64(d) }
            }
            return k
        }
        var outs = results.map { t -> kiln_tensor in
            var k = kiln_tensor()
            k.data = t.storage.base
            k.capacity = Int64(t.count)
            return k
        }
        let code = withExtendedLifetime(inputs) {
            library.run(instance, &ins, Int32(ins.count), &outs, Int32(outs.count))
        }
        guard code == 0 else { throw LoadError.runFailed(code: code, message: library.lastErrorText) }
        return results
    }

    /// Same as ``run(_:)``.
    public func callAsFunction(_ inputs: [Tensor]) throws -> [Tensor] { try run(inputs) }

    /// Runs a model of one input and one output.
    public func callAsFunction(_ x: Tensor) throws -> Tensor {
        let out = try run([x])
        guard out.count == 1 else { throw KilnInternalError("model(x) needs one output, this library has \(out.count); use run(_:)") }
        return out[0]
    }

    /// The shared libraries this library needs at load time (its ELF `DT_NEEDED` entries, e.g.
    /// `libm.so.6`, `libc.so.6`, and `libopenblas.so.0` only when a step calls BLAS): what a
    /// deployment must provide beside it. `nil` if the file cannot be read back.
    public var neededLibraries: [String]? { ELFCheck.neededLibraries(path) }

    /// The metadata, pretty-printed with sorted keys.
    public var metadataDescription: String {
        guard let obj = try? JSONSerialization.jsonObject(with: Data(metadataJSON.utf8)),
              let data = try? JSONSerialization.data(withJSONObject: obj, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
        else { return metadataJSON }
        return String(decoding: data, as: UTF8.self)
    }
}
