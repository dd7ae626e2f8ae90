/// The kernel chosen for each convolution, and why.
struct AlgorithmSelection {
    struct Choice {
        var step: String
        var algorithm: ConvAlgorithm
        /// `1x64x56x56, 64x64x3x3`.
        var shape: String
        /// "heuristic", "autotune" or "forced" (recorded in the library: a winner read from the
        /// autotune cache is still "autotune", so the library's bytes do not depend on it).
        var source: String
    }
    var choices: [Choice] = []
    var tables: [String] = []
    /// Autotune winners read from the cache instead of benchmarked.
    var cachedWinners = 0

    /// Without autotune: im2col + sgemm (which already runs 1×1 stride-1 convolutions as a
    /// plain sgemm), and the 1×1-as-sgemm kernel for strided 1×1 (the downsample shortcuts),
    /// which skips im2col's copy of the whole padded input.
    static func heuristic(_ s: ConvShape) -> ConvAlgorithm {
        s.applies(.pointwiseSgemm) && s.stride > 1 ? .pointwiseSgemm : .im2colSgemm
    }

    /// Sets `algorithm` on every convolution of `g`.
    static func choose(_ g: inout LoweredGraph, batch: Int, options: AOTCompileOptions, cache: CompileCache) throws -> AlgorithmSelection {
        var sel = AlgorithmSelection()
        let shapes = g.shapes
        let convs = g.nodes.indices.filter { if case .conv = g.nodes[$0].op { true } else { false } }
        var tuner = options.maxAutotune && options.forcedAlgorithm == nil ? Autotuner(cache: cache, log: options.log) : nil
        for (k, i) in convs.enumerated() {
            guard case var .conv(c) = g.nodes[i].op else { continue }
            let shape = ConvShape(step: c, inputRow: shapes[c.x]?.rowShape ?? [], batch: max(batch, 1))
            var source = "heuristic"
            if let forced = options.forcedAlgorithm, shape.applies(forced) {
                c.algorithm = forced
                source = "forced"
            } else if tuner != nil {
                let (algorithm, fromCache) = try tuner!.choose(c, shape: shape, step: c.fused.first ?? g.nodes[i].name, index: k, total: convs.count)
                c.algorithm = algorithm
                source = "autotune"
                if fromCache { sel.cachedWinners += 1 }
            } else {
                c.algorithm = heuristic(shape)
            }
            g.nodes[i].op = .conv(c)
            sel.choices.append(Choice(step: c.fused.first ?? g.nodes[i].name, algorithm: c.algorithm, shape: shape.description, source: source))
        }
        if let tuner { sel.tables = tuner.tables; tuner.finish() }
        if sel.cachedWinners > 0 {
            options.log("autotune: \(sel.cachedWinners) of \(convs.count) winners from the cache (\(Autotuner.file(cache).path))")
        }
        return sel
    }
}
