/// Why `aotCompile` could not build a library.
public enum CompileError: KilnError, Equatable {
    /// No C compiler: neither `$CC` nor `cc` could be run.
    case compilerNotFound(tried: String, message: String)
    /// The C compiler failed. `sourceDirectory` holds the generated sources, kept for inspection.
    case compilerFailed(compiler: String, message: String, sourceDirectory: String)
    /// A compiler command ran longer than the timeout (`KILN_CC_TIMEOUT`); it and its process
    /// group were killed. `sourceDirectory` holds the generated sources (nil for `--version`).
    case compilerTimedOut(compiler: String, seconds: Double, sourceDirectory: String?)
    /// `KILN_CC_TIMEOUT` is not a number of seconds.
    case invalidTimeout(String)
    /// The program uses something the code generator cannot express.
    case unsupported(String)
    /// Writing sources, weights or the library failed.
    case writeFailed(path: String, message: String)
    /// The precision asked for needs CPU features this machine lacks (libraries are built
    /// for the compiling machine's CPU, so it could not run what it built).
    case missingCPUFeatures(precision: String, features: [String])

    public var failureClass: FailureClass {
        switch self {
        case .compilerNotFound, .compilerFailed, .compilerTimedOut: .compile
        case .invalidTimeout: .usage
        case .unsupported: .badInput
        case .writeFailed: .output
        case .missingCPUFeatures: .load
        }
    }

    public var description: String {
        switch self {
        case let .compilerNotFound(tried, message):
            return "aotCompile: no C compiler: could not run `\(tried)` (\(message))"
        case let .compilerFailed(compiler, message, dir):
            return "aotCompile: the C compiler (\(compiler)) failed; generated sources kept in \(dir)\n\(message)"
        case let .compilerTimedOut(compiler, seconds, dir):
            return "aotCompile: the C compiler (\(compiler)) did not finish within \(String(format: "%g", seconds)) s (KILN_CC_TIMEOUT), so Kiln killed it and its process group"
                + (dir.map { "; generated sources kept in \($0)" } ?? "")
        case let .invalidTimeout(value):
            return "KILN_CC_TIMEOUT=\(value) is not a number of seconds"
        case let .unsupported(what):
            return "aotCompile: \(what)"
        case let .writeFailed(path, message):
            return "aotCompile: cannot write \(path): \(message)"
        case let .missingCPUFeatures(precision, features):
            return "aotCompile: precision \(precision) needs the CPU feature(s) \(features.joined(separator: ", ")), which this CPU (\(CPUInfo.current.modelName)) lacks"
        }
    }

    public var suggestion: String? {
        switch self {
        case .compilerNotFound:
            return "Suggested fix: install a C compiler (apt-get install gcc) or set CC=/path/to/cc"
        case .compilerFailed:
            return "Suggested fix: check that the compiler (CC) builds C and that libopenblas-dev is installed (pkg-config --libs openblas); the sources above reproduce the failure with `sh build.sh`"
        case .compilerTimedOut:
            return "Suggested fix: check that CC builds C (`sh build.sh` in the kept sources reproduces the build), or raise KILN_CC_TIMEOUT (seconds; 0 means no limit) if the machine is only slow"
        case .invalidTimeout:
            return "Suggested fix: KILN_CC_TIMEOUT=300 (seconds; 0 means no limit)"
        case .unsupported:
            return "Suggested fix: export the model with Kiln's ops (conv2d, batch_norm, relu, add, max_pool2d, adaptive_avg_pool2d, flatten, linear)"
        case .writeFailed:
            return "Suggested fix: choose a writable output path or cache directory (KILN_CACHE_DIR)"
        case .missingCPUFeatures:
            return "Suggested fix: compile with precision fp32 (--precision fp32), or on a CPU with AVX512_BF16 (Zen 4 or later, Cooper Lake, Sapphire Rapids)"
        }
    }
}
