import Foundation

/// The aotCompile pipeline: lower → fold/fuse → choose kernels (heuristic or autotune) →
/// plan memory → generate C → cache lookup → build with the system compiler → install.
enum AOTCompiler {
    static func compile(_ source: CompileSource, exampleInputs: [Tensor], options: AOTCompileOptions) throws -> AOTCompileReport {
        let start = monotonicNanoseconds()
        func elapsed() -> Double { Double(monotonicNanoseconds() - start) / 1e6 }
        guard exampleInputs.count == source.signature.inputs.count else {
            throw CompileError.unsupported("the program takes \(source.signature.inputs.count) inputs, \(exampleInputs.count) example inputs were given")
        }
        let missing = Precision.missingCPUFeatures(options.precision.requiredCPUFeatures)
        guard missing.isEmpty else { throw CompileError.missingCPUFeatures(precision: options.precision.rawValue, features: missing) }
        let toolchain = try Toolchain.detect(environment: options.toolchainEnvironment)
        let cache = CompileCache(root: options.resolvedCacheDirectory)
        var graph = FusionPasses.run(try Lowering.lower(source))
        let batch = exampleInputs.first?.shape.first ?? 1
        let selection = try AlgorithmSelection.choose(&graph, batch: batch, options: options, cache: cache)
        let plan = MemoryPlan.plan(graph)
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
        let model = try CodeGenerator.generate(graph, plan: plan, names: .init(model: source.model, graphHash: source.graphHash,
                                                                                  outputs: source.signature.outputs),
                                               metadata: metadata)
        let key = CompileCache.key(model: model, toolchain: toolchain)
        let output = options.outputPath.map { URL(fileURLWithPath: $0) }
        let sources = KernelSources.compilationUnits + ["model.c"]
        var compilerMs = 0.0
        var cached = true
        let library: URL
        if let hit = cache.lookup(key: key) {
            library = hit
            if options.keepSource, let output {
                let dir = sourceDirectory(for: output)
                try writeSources(model, to: dir)
                let (compiles, link) = toolchain.buildCommands(sources: sources, output: "model.so")
                toolchain.writeBuildScript(in: dir, compiles: compiles, link: link)
            }
        } else {
            cached = false
            let dir = try cache.makeBuildDirectory(key: key)
            try writeSources(model, to: dir)
            let (_, ms) = try timed { try toolchain.build(in: dir, sources: sources, output: "model.so") }
            compilerMs = ms
            do {
                library = try cache.install(dir.appendingPathComponent("model.so"), key: key)
            } catch {
                try? FileManager.default.removeItem(at: dir)
                throw error
            }
            if options.keepSource {
                let keep = output.map(sourceDirectory(for:)) ?? cache.libraries.appendingPathComponent("\(key).src")
                try? FileManager.default.removeItem(at: keep)
                try? FileManager.default.moveItem(at: dir, to: keep)
            }
            try? FileManager.default.removeItem(at: dir)
        }
        if let output, output.standardizedFileURL.path != library.standardizedFileURL.path {
            try CompileCache.copy(library, to: output)
        }
        let path = output?.path ?? library.path
        let report = AOTCompileReport(path: path, cached: cached, key: key, milliseconds: elapsed(), compilerMilliseconds: compilerMs,
                                      autotuneTables: selection.tables, choices: selection.choices.map { ($0.step, $0.algorithm) })
        let how = cached ? "cached (key \(key.prefix(12)))" : String(format: "compiled in %.0f ms, C compiler %.0f ms", report.milliseconds, compilerMs)
        options.log(String(format: "aotCompile: %@ → %@ — %@", source.model, path, how))
        return report
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
            throw CompileError.writeFailed(path: dir.path, message: CompileCache.reason(error))
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
