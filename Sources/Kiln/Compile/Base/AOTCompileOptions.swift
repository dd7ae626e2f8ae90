import Foundation

/// Options of ``aotCompile(_:exampleInputs:options:)``.
public struct AOTCompileOptions: Sendable {
    /// Where to write the library. Default: the artifact in the cache directory.
    public var outputPath: String?
    /// Benchmark every convolution's candidate kernels on the example shape and keep the
    /// fastest (verified against the reference first). Default: a heuristic choice.
    public var maxAutotune: Bool
    /// Keep the generated sources (model.c, weights.bin, kernels, build.sh) beside the
    /// library, in `<output>.src/`. They are always kept when the compiler fails.
    public var keepSource: Bool
    /// The compile cache. Default: `KILN_CACHE_DIR`, else `~/.cache/kiln`.
    public var cacheDirectory: String?
    /// Force one algorithm for every convolution it applies to (tests, experiments); the
    /// others fall back to the heuristic. Overrides autotune.
    public var forcedAlgorithm: ConvAlgorithm?
    /// The C compiler command (may include arguments, e.g. "ccache gcc"). Default: `CC`,
    /// else `cc`. Per compile rather than through the process environment, so concurrent
    /// compiles (and tests) can each use their own.
    public var compiler: String?
    /// Seconds each C compiler command may run before it and its process group are killed
    /// (``CompileError/compilerTimedOut(compiler:seconds:sourceDirectory:)``); 0 means no
    /// limit. Default: `KILN_CC_TIMEOUT`, else 300.
    public var compilerTimeout: Double?
    /// The folder of prebuilt kernel objects looked in after the cache (written by
    /// ``prebuildKernelObjects(into:compiler:)``; `off` for none). Default:
    /// `KILN_KERNEL_OBJECTS`, else `kiln-kernel-objects/` beside the executable when it exists.
    public var prebuiltKernelObjects: String?
    /// The arithmetic convolutions may use: `.fp32` (default) or `.bf16` (see ``Precision``).
    /// With `.bf16` the compile runs the program on seeded inputs in fp32 and with its bf16
    /// kernels, and keeps layers in fp32 until the error is within budget (unless
    /// ``forcedAlgorithm`` is set). Part of the cache key. `.bf16` on a CPU without AVX512_BF16 throws
    /// ``CompileError/missingCPUFeatures(precision:features:)`` (no silent fp32 fallback).
    public var precision: Precision
    /// Progress and the AUTOTUNE tables go here. Default: standard error.
    public var log: @Sendable (String) -> Void

    public init(outputPath: String? = nil, maxAutotune: Bool = false, keepSource: Bool = false, cacheDirectory: String? = nil,
                forcedAlgorithm: ConvAlgorithm? = nil, compiler: String? = nil, precision: Precision = .fp32, log: @escaping @Sendable (String) -> Void = AOTCompileOptions.standardError) {
        self.outputPath = outputPath
        self.maxAutotune = maxAutotune
        self.keepSource = keepSource
        self.cacheDirectory = cacheDirectory
        self.forcedAlgorithm = forcedAlgorithm
        self.compiler = compiler
        self.precision = precision
        self.log = log
    }

    /// Writes a line to standard error.
    public static let standardError: @Sendable (String) -> Void = { line in
        FileHandle.standardError.write(Data((line + "\n").utf8))
    }

    /// The options that change the library, as recorded in its metadata (no paths: the same
    /// program and options give the same bytes wherever they are written).
    var metadata: [String: Any] {
        var m: [String: Any] = ["max_autotune": maxAutotune]
        if let forcedAlgorithm { m["forced_algorithm"] = forcedAlgorithm.rawValue }
        // Only when not the default, so fp32 libraries keep their bytes (and cache keys).
        if precision != .fp32 { m["precision"] = precision.rawValue }
        return m
    }

    /// The environment the toolchain is detected from: this process's, with `CC` replaced
    /// by ``compiler`` when set.
    var toolchainEnvironment: [String: String] {
        var env = ProcessInfo.processInfo.environment
        if let compiler { env["CC"] = compiler }
        return env
    }

    /// The cache directory in effect.
    var resolvedCacheDirectory: URL {
        if let cacheDirectory { return URL(fileURLWithPath: cacheDirectory) }
        if let env = ProcessInfo.processInfo.environment["KILN_CACHE_DIR"], !env.isEmpty { return URL(fileURLWithPath: env) }
        return FileManager.default.homeDirectoryForCurrentUser.appendingPathComponent(".cache/kiln")
    }
}
