import Foundation

/// The aotCompile pipeline, one call per stage: lower → fold/fuse (Lowering/) → choose
/// kernels, heuristic or autotune (Selection/) → plan memory (Memory/) → generate C
/// (CodeGen/) → reuse the cached library or build it with the system compiler (Toolchain/)
/// → install at the output path.
enum AOTCompiler {
    static func compile(_ source: CompileSource, exampleInputs: [Tensor], options: AOTCompileOptions) throws -> AOTCompileReport {
        let start = monotonicNanoseconds()
        guard exampleInputs.count == source.signature.inputs.count else {
            throw CompileError.unsupported("the program takes \(source.signature.inputs.count) inputs, \(exampleInputs.count) example inputs were given")
        }
        // An output path that cannot take the library (a device, a FIFO, a missing folder) fails
        // now, not after the compiler ran.
        if let path = options.outputPath {
            do {
                try AtomicFile.checkDestination(URL(fileURLWithPath: path))
            } catch {
                throw CompileError.writeFailed(path: path, message: error.message)
            }
        }
        // A library built here runs here: a precision this CPU cannot run is refused, not
        // silently compiled as fp32.
        let missing = CPUInfo.current.missingFeatures(options.precision.requiredCPUFeatures)
        guard missing.isEmpty else { throw CompileError.missingCPUFeatures(precision: options.precision.rawValue, features: missing) }
        // So is a forced bf16 kernel in an fp32 compile: its library would refuse to load here.
        if let forced = options.forcedAlgorithm {
            let missing = CPUInfo.current.missingFeatures(forced.precision.requiredCPUFeatures)
            guard missing.isEmpty else {
                throw CompileError.missingCPUFeatures(precision: "\(forced.precision.rawValue) (forced algorithm \(forced.rawValue))", features: missing)
            }
        }
        var clock = StageClock()
        let toolchain = try clock.measure("toolchain") {
            try Toolchain.detect(environment: options.toolchainEnvironment, timeout: options.compilerTimeout)
        }
        let cache = CompileCache(root: options.resolvedCacheDirectory)
        var graph = try clock.measure("lower + fuse") { FusionPasses.run(try Lowering.lower(source)) }
        var selection = try clock.measure("select") {
            try AlgorithmSelection.choose(&graph, batch: exampleInputs.first?.shape.first ?? 1, options: options, cache: cache,
                                          libraryKernels: { KernelBench.kernels(toolchain: toolchain, cache: cache, options: options) })
        }
        // A forced algorithm is the caller's experiment: compiled as asked, unchecked.
        let budget = options.precision == .bf16 && options.forcedAlgorithm == nil ? try clock.measure("bf16 accuracy") {
            try BF16Budget.apply(&graph, selection: &selection, source: source, exampleInputs: exampleInputs, cache: cache, log: options.log)
        } : nil
        // After the bf16 budget, which may move layers back to the fp32 packed GEMM.
        graph = FusionPasses.fuseMaxPool(FusionPasses.fuseInputScale(graph))
        let model = try clock.measure("plan + codegen") {
            try CodeGenerator.generate(graph, plan: MemoryPlan.plan(graph),
                                       names: .init(model: source.model, graphHash: source.graphHash, outputs: source.signature.outputs),
                                       metadata: try metadata(source, graph: graph, selection: selection, options: options, toolchain: toolchain, budget: budget))
        }
        let output = options.outputPath.map { URL(fileURLWithPath: $0) }
        let build = try buildOrReuse(model, toolchain: toolchain, cache: cache, options: options, output: output, clock: &clock)
        if let output { try clock.measure("install at output") { try install(build.library, at: output) } }
        let path = output?.path ?? build.library.path
        let report = AOTCompileReport(path: path, cached: build.cached, key: build.key, milliseconds: Double(monotonicNanoseconds() - start) / 1e6,
                                      compilerMilliseconds: build.compilerMilliseconds, autotuneTables: selection.tables,
                                      choices: selection.choices.map { ($0.step, $0.algorithm) }, stages: clock.stages)
        if options.toolchainEnvironment["KILN_DEBUG"].map({ !$0.isEmpty && $0 != "0" }) ?? false {
            options.log("aotCompile stages:\n" + report.stages.map { "  " + $0.summary }.joined(separator: "\n"))
        }
        let how = build.cached ? "cached (key \(build.key.prefix(12)))"
            : String(format: "compiled in %.0f ms, C compiler %.0f ms", report.milliseconds, build.compilerMilliseconds)
        options.log(String(format: "aotCompile: %@ → %@ — %@", source.model, path, how))
        return report
    }

    /// The library's metadata (`kiln_metadata_json`, `kiln inspect`), but for what only the
    /// code generator knows (arena, workspace and weight sizes), which it adds.
    static func metadata(_ source: CompileSource, graph: LoweredGraph, selection: AlgorithmSelection, options: AOTCompileOptions,
                         toolchain: Toolchain, budget: BF16Budget? = nil) throws -> [String: Any] {
        let shapes = graph.shapes
        let outputs = zip(source.signature.outputs, graph.outputs).map { GraphInput(name: $0, shape: shapes[$1] ?? []) }
        // What the library's kernels need beyond the build's -march=native baseline, checked by aotLoad.
        let needs = Set(selection.choices.map(\.algorithm.precision)).sorted { $0.rawValue < $1.rawValue }.flatMap(\.requiredCPUFeatures)
        var metadata: [String: Any] = [
            "inputs": try jsonObject(source.signature.inputs),
            "outputs": try jsonObject(outputs),
            "range_constraints": try jsonObject(source.rangeConstraints),
            "kiln_version": KilnVersion.string,
            "abi_version": Int(KilnModelABI.version),
            "codegen_version": CodeGenerator.version,
            "model": source.model,
            "graph_hash": source.graphHash,
            "options": options.metadata,
            "autotune": selection.choices.map { c in
                ["step": c.step, "algorithm": c.algorithm.rawValue, "shape": c.shape, "source": c.source]
                    .merging(c.largeBatch.map { ["large_batch": $0] } ?? [:]) { a, _ in a }
            },
            "cpu": ["model": CPUInfo.current.modelName, "features": CPUInfo.current.buildFeatures, "march": "native"],
            "compiler": toolchain.identity.split(separator: "\n").first.map(String.init) ?? "",
            "flags": Toolchain.flags + toolchain.blasFlags.filter { $0.hasPrefix("-l") },
        ]
        if !needs.isEmpty { metadata["requires_cpu_features"] = needs }
        if let budget { metadata["bf16_accuracy"] = budget.metadata }
        return metadata
    }

    /// The cached library for `model`, or a fresh build of it installed into the cache (kernel
    /// objects from the cache's `objects/` or the prebuilt store where they have them, see
    /// ``KernelObjectStore``).
    /// With keepSource, the sources (and build.sh) end up in `<output>.src/` (or beside the
    /// cached library when there is no output path).
    static func buildOrReuse(_ model: GeneratedModel, toolchain: Toolchain, cache: CompileCache, options: AOTCompileOptions,
                             output: URL?, clock: inout StageClock) throws -> (library: URL, cached: Bool, key: String, compilerMilliseconds: Double) {
        let key = clock.measure("cache key") { model.cacheKey(toolchain: toolchain) }
        let kernels = KernelSources.compilationUnits(for: model.source)
        let sources = kernels + ["model.c"]
        if let hit = cache.lookup(key: key) {
            if options.keepSource, let output {
                let dir = sourceDirectory(for: output)
                try writeSources(model, to: dir)
                let (compiles, link) = toolchain.buildCommands(sources: sources, output: "model.so", buildID: key)
                toolchain.writeBuildScript(in: dir, compiles: compiles, link: link)
            }
            return (hit, true, key, 0)
        }
        let dir = try cache.makeBuildDirectory(key: key)
        // An interrupt removes the folder until the compile is over (installed, or kept as failed).
        CompilerProcesses.shared.enterBuildFolder(dir.path)
        defer { CompilerProcesses.shared.leaveBuildFolder(dir.path) }
        try clock.measure("write sources") { try writeSources(model, to: dir) }
        let objectKey = CompileCache.objectKey(files: KernelSources.files, toolchain: toolchain)
        let found = clock.measure("fetch stored objects") {
            cache.fetchObjects(kernels, key: objectKey, into: dir, prebuilt: options.prebuiltStore)
        }
        var reused = found.cached.union(found.prebuilt)
        var compiles: [AOTCompileStage], ms: Double
        do {
            (compiles, ms) = try timed { try toolchain.build(in: dir, sources: sources, output: "model.so", buildID: key, prebuilt: reused) }
        } catch CompileError.compilerFailed where !reused.isEmpty {
            // A stored object with whole ELF headers can still be one the linker refuses (damaged
            // inside, another tool's file): objects only save time, so build without them.
            options.log("aotCompile: the build with stored kernel objects failed; compiling every kernel file")
            reused = []
            (compiles, ms) = try timed { try toolchain.build(in: dir, sources: sources, output: "model.so", buildID: key) }
        }
        for (i, source) in sources.enumerated() where reused.contains(source) && found.prebuilt.contains(source) { compiles[i].prebuilt = true }
        clock.append(contentsOf: compiles + [AOTCompileStage(name: "compiles + link together", milliseconds: ms,
                                                             cpuMilliseconds: compiles.reduce(0) { $0 + $1.cpuMilliseconds })])
        clock.measure("store objects") { cache.storeObjects(kernels.filter { !reused.contains($0) }, key: objectKey, from: dir) }
        let library: URL
        do {
            library = try clock.measure("install in cache") { try cache.install(dir.appendingPathComponent("model.so"), key: key) }
        } catch {
            try? FileManager.default.removeItem(at: dir)
            throw error
        }
        if options.keepSource {
            let keep = output.map(sourceDirectory(for:)) ?? cache.libraries.appendingPathComponent("\(key).src")
            try? FileManager.default.removeItem(at: keep)
            try? FileManager.default.moveItem(at: dir, to: keep)
        }
        clock.measure("remove build folder") { try? FileManager.default.removeItem(at: dir) }
        return (library, false, key, ms)
    }

    /// Copies the cached library to the output path (temporary file + rename: a process that
    /// has the old library loaded keeps running it).
    static func install(_ library: URL, at output: URL) throws {
        guard output.standardizedFileURL.path != library.standardizedFileURL.path else { return }
        do {
            try AtomicFile.copy(from: library, to: output)
        } catch {
            throw CompileError.writeFailed(path: output.path, message: error.message)
        }
    }

    /// A Codable value as a JSONSerialization object (for the metadata dictionary).
    static func jsonObject<T: Encodable>(_ value: T) throws -> Any {
        try JSONSerialization.jsonObject(with: JSONEncoder().encode(value), options: [.fragmentsAllowed])
    }

    /// `<output>.src` beside the library.
    static func sourceDirectory(for output: URL) -> URL {
        output.deletingLastPathComponent().appendingPathComponent(output.lastPathComponent + ".src")
    }

    /// model.c, weights.bin and the kernel sources.
    static func writeSources(_ model: GeneratedModel, to dir: URL) throws {
        do {
            try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
            try KernelSources.write(to: dir)
            try Data(model.source.utf8).write(to: dir.appendingPathComponent("model.c"))
            try model.weights.write(to: dir.appendingPathComponent("weights.bin"))
        } catch {
            // Half-written sources are no use to anyone (and fill a full disk further).
            try? FileManager.default.removeItem(at: dir)
            throw CompileError.writeFailed(path: dir.path, message: AtomicFile.reason(of: error))
        }
    }
}

extension CPUInfo {
    /// The SIMD features relevant to the kernels, as the library's metadata records them.
    var buildFeatures: [String] {
        ["sse4_2", "avx", "avx2", "fma", "f16c", "avx512f", "avx512bw", "avx512vl", "avx512dq", "avx512_vnni", "avx512_bf16"]
            .filter(flags.contains)
    }
}
