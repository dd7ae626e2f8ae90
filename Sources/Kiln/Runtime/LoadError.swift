/// Why ``aotLoad(_:device:)`` refused a library, or why a compiled model's run failed.
public enum LoadError: KilnError, Equatable {
    /// The device is not available in this build (only `.cpu` is).
    case unsupportedDevice(String)
    /// No file at the path.
    case fileNotFound(path: String)
    /// The file is not an ELF shared object at all.
    case notELF(path: String)
    /// The ELF headers point past the end of the file: an interrupted copy or download.
    case truncated(path: String, size: Int, needed: Int)
    /// `dlopen` failed (missing dependency, wrong architecture, …).
    case dlopenFailed(path: String, message: String)
    /// A shared library, but not one built by aotCompile (no `kiln_abi_version`).
    case notKilnLibrary(path: String)
    /// A Kiln library built for another ABI version.
    case abiVersion(path: String, found: Int32, supported: Int32)
    /// A Kiln library missing part of the ABI or with unreadable metadata.
    case malformed(path: String, message: String)
    /// The library needs CPU features this machine lacks (its metadata's
    /// `requires_cpu_features`, e.g. avx512_bf16 for a bf16 library): refused before any of
    /// its code runs, instead of an illegal-instruction crash.
    case missingCPUFeatures(path: String, features: [String])
    /// The library's kiln_run failed after the guards passed (a Kiln bug or out of memory).
    case runFailed(code: Int32, message: String)

    public var failureClass: FailureClass {
        switch self {
        case .unsupportedDevice: .usage
        case .fileNotFound: .badInput
        case .runFailed: .internalError
        default: .load
        }
    }

    public var description: String {
        switch self {
        case let .unsupportedDevice(d):
            return "aotLoad: device \(d) is not supported on this build (Kiln runs on the CPU only)"
        case let .fileNotFound(path):
            return "aotLoad: \(path): no such file"
        case let .notELF(path):
            return "aotLoad: \(path) is not a shared library (no ELF header)"
        case let .truncated(path, size, needed):
            return "aotLoad: \(path) is truncated: \(size) bytes, but its ELF headers need at least \(needed)"
        case let .dlopenFailed(path, message):
            return "aotLoad: cannot load \(path): \(message)"
        case let .notKilnLibrary(path):
            return "aotLoad: \(path) is a shared library but not a Kiln model (no kiln_abi_version symbol)"
        case let .abiVersion(path, found, supported):
            return "aotLoad: \(path) was built for Kiln model ABI version \(found), this Kiln supports version \(supported)"
        case let .malformed(path, message):
            return "aotLoad: \(path) is not a valid Kiln model: \(message)"
        case let .missingCPUFeatures(path, features):
            return "aotLoad: \(path) needs the CPU feature(s) \(features.joined(separator: ", ")), which this CPU (\(CPUInfo.current.modelName)) lacks"
        case let .runFailed(code, message):
            return "compiled model: kiln_run failed (code \(code)): \(message)"
        }
    }

    public var suggestion: String? {
        switch self {
        case .unsupportedDevice: return "Suggested fix: aotLoad(path, device: .cpu)"
        case .fileNotFound: return "Suggested fix: compile one first: kiln compile MODEL.kep --output MODEL.so"
        case .notELF, .notKilnLibrary, .malformed: return "Suggested fix: pass a library written by aotCompile / kiln compile"
        case .truncated: return "Suggested fix: copy or compile the library again (kiln compile MODEL.kep --output MODEL.so)"
        case .dlopenFailed: return "Suggested fix: check that the libraries `readelf -d` lists for it are installed (libopenblas0 when it links OpenBLAS) and that it was built for this CPU"
        case .abiVersion: return "Suggested fix: recompile the program with this Kiln: kiln compile MODEL.kep --output MODEL.so"
        case .missingCPUFeatures: return "Suggested fix: recompile the program on this machine with precision fp32: kiln compile MODEL.kep --precision fp32 --output MODEL.so"
        case .runFailed: return nil
        }
    }
}

/// Where a model runs.
public enum Device: String, Sendable, CaseIterable {
    case cpu, cuda
}
