internal import CKilnKernels

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
        /// `winograd_f2x3 from batch 2, winograd_f4x3 from batch 8`, when the step switches for
        /// larger batches.
        var largeBatch: String?

        /// `c`'s switches in ``largeBatch``'s words, nil when it has none.
        static func largeBatchText(_ c: ConvStep) -> String? {
            c.largeBatch.isEmpty ? nil : c.largeBatch.map { "\($0.algorithm.rawValue) from batch \($0.fromBatch)" }.joined(separator: ", ")
        }
    }
    var choices: [Choice] = []
    var tables: [String] = []
    /// Autotune winners read from the cache instead of benchmarked.
    var cachedWinners = 0

    /// Without autotune, on AVX-512 CPUs: Kiln's packed GEMM for one-group convolutions (it
    /// packs the weights at compile time, fuses im2col and the epilogue, beats OpenBLAS's
    /// SkylakeX sgemm on ResNet-18's layers and does not depend on OpenBLAS's core
    /// detection), and Winograd on the same GEMM for 3×3 stride-1 layers: F(4×4, 3×3) from
    /// 28×28 outputs up, F(2×2, 3×3) at 14×14 at batch 1, switching to F(4,3) from batch 2.
    /// Smaller outputs (ResNet's 7×7) get the packed GEMM, switching to F(2,3) from batch 2
    /// and F(4,3) from batch 8 (``largeBatchSwitches(_:chosen:)``) whatever the example batch.
    /// Why the compact choices at batch 1: the larger-batch algorithms' weights are built only
    /// in processes that run such batches, so a batch-1 process keeps ResNet-18's resident
    /// weights near their fp32 size. F(4,3) at 14×14 and F(2,3) at 7×7 do run those layers
    /// faster at batch 1 (one thread, CPU time, in ResNet-18: 0.91–0.96 vs 1.15–1.17 ms and
    /// 2.03 vs 2.21 ms) but add ~37 MB of weights for 1–3% of the whole network (two threads,
    /// quiet machine; README "Winograd at batch 1"), which --max-autotune may still choose.
    /// From batch 2, F(2,3) beats the packed GEMM at 7×7 (0.65 vs 1.14 ms; batch 32: 12.3 vs
    /// 16.1 ms), and from batch 8 F(4,3) although it pads 7 to 8 (one thread, CPU time, 512
    /// channels: batch 8 10.5–10.7 vs 13.7–13.9 ms, batch 32 36–38 vs 50–52 ms).
    /// Elsewhere (no AVX-512: only portable fallbacks; grouped convolutions) im2col + sgemm,
    /// and 1×1-as-sgemm for strided 1×1, which skips im2col's copy of the whole padded input.
    ///
    /// A first layer on the image (at most 4 input channels, outputs at least 64 wide) runs
    /// the direct stem kernel: with K = C·KH·KW of 27 or 147 the packed GEMM's per-panel im2col
    /// and accumulator traffic weigh on few multiply-adds. One thread, CPU time, batch 1, 224²
    /// input: 7×7 s2 → 64 (ResNet) 2.54 → 2.36 ms, 3×3 s2 → 32 (MobileNetV2) 0.32 → 0.28,
    /// 5×5 s2 → 24 0.55 → 0.47; with caches flushed first 3.4 → 2.5 and 1.2 → 0.38 ms. Narrower
    /// outputs lose (32 wide: 1.05×, 28 wide with 64 channels: 1.3×). (Measured on AMD EPYC,
    /// with the kernel's first tile; on Intel Ice Lake the packed GEMM is still 0.91–0.96× the
    /// current tile's time on ResNet's stem, where max-autotune picks it.)
    ///
    /// Depthwise layers (groups = C = OC, MobileNet's and EfficientNet's 3×3/5×5) always run
    /// Kiln's depthwise kernel: a GEMM would have one row per group; on AVX-512 CPUs it is
    /// vectorised (3×3 s2 on 1×96×112×112: 0.17 ms, 4.8× the direct loop it replaces), and
    /// elsewhere its portable loop is the direct algorithm's own.
    static func heuristic(_ s: ConvShape) -> ConvAlgorithm {
        if s.isDepthwise && s.applies(.depthwise) { return .depthwise }
        if kiln_gemm_cpu_has_avx512() != 0 {
            if s.applies(.winogradF4x3) {
                let (oh, ow) = s.outputSize
                if min(oh, ow) >= 28 { return .winogradF4x3 }
                if min(oh, ow) >= 14 { return .winogradF2x3 }
            }
            if s.applies(.stem), s.outputSize.1 >= 64 { return .stem }
            if s.applies(.packedGemm) { return .packedGemm }
        }
        return s.applies(.pointwiseSgemm) && s.stride > 1 ? .pointwiseSgemm : .im2colSgemm
    }

    /// The heuristic in a precision: with `.bf16`, the bf16 packed GEMM for every one-group
    /// convolution except those the fp32 heuristic gives Winograd F(4×4, 3×3), which run it
    /// with bf16 GEMMs (below), and the implicit bf16 GEMM for 3×3 layers of any stride with 16 or more
    /// input channels: no im2col, and its tiles (64 output channels × 6 output pixels) waste no
    /// lanes on small outputs. Single-thread CPU time on ResNet-18's layers, packed GEMM →
    /// implicit: 14×14 1.30 → 1.14 ms (batch 1), 43.5 → 36.4 ms (batch 32); 7×7 1.83 → 1.30,
    /// 38.3 → 36.5; stride 2 to 7×7 0.77 → 0.61, 20.7 → 19.8; to 14×14 0.74 → 0.67, 23.1 →
    /// 20.9. Not conv1 (3 input channels: 1.71 → 2.39 ms) nor the 1×1 layers (pairing the
    /// whole input costs more than their product). The fp32 stem kernel does not replace the
    /// bf16 packed GEMM either (ResNet's conv1 2.36 vs 1.55 ms, MobileNetV2's 0.28 vs 0.24).
    /// 3×3 stride-1 layers with 16 or more input channels run Winograd F(2×2, 3×3) with bf16
    /// GEMMs instead: 2.25× fewer multiplies at the bf16 rate, and its transforms (0, ±1) add
    /// little rounding (one 256→256 layer at 14×14, max |Δ| / max |ref| against fp32: 3.4e-3,
    /// direct bf16 2.3e-3). One thread, CPU time, hot weights, ResNet-18's layers, direct bf16
    /// → F(2,3) bf16: 14×14 1.04 → 0.79 ms (batch 1), 36.4 → 24.1 ms (batch 32); 7×7 1.06 →
    /// 0.80, 36.4 → 27.3. Not on 28×28 and 56×56, where F(4×4, 3×3) is as fast or faster in
    /// fp32 (28×28 0.70 vs 0.75 ms, batch 32 27.8 vs 26.0; 56×56 batch 32 35.1 vs 46.7) and
    /// faster still with bf16 GEMMs (one thread, CPU time, fp32 → bf16 GEMMs: 56×56 batch 32
    /// 36.8–37.6 → 28.4–30.2 ms, batch 1 1.0 → 1.0; 28×28 batch 32 30.5–31.2 → 21.9–22.4,
    /// batch 1 0.73–0.78 → 0.51–0.52). Its transforms amplify the operands' rounding (one layer
    /// on standard normals: 5–9e-2 of max |ref|, F(2,3) bf16 ~5e-3), but that error is
    /// independent across tiles and channels and the following layers average it out:
    /// ResNet-18's logits against fp32 in a NumPy model of these roundings, 3.1–3.9e-3 of
    /// max |ref| on normal and smooth image-like inputs (these layers in fp32: 2.1–2.8e-3;
    /// the contract is 5e-3). Autotune, which checks each layer against 5e-3 on its own,
    /// drops it.
    ///
    /// On a CPU whose bf16 GEMMs run on AMX tiles (`amx`: the compiling machine's
    /// `kiln_cpu_has_amx_bf16`), the implicit bf16 GEMM runs every one-group convolution with
    /// 16 or more input channels and a kernel larger than 1×1 or a stride, Winograd's layers included: its
    /// AMX path (`kiln_conv_direct_bf16_amx.c`) multiplies full 16×16 tiles straight from the
    /// blocked input, where the packed GEMM's AMX path rounds and transposes an im2col panel
    /// per product. Two threads, batch 1, ResNet-18's layers (Xeon, AMX): 56×56 0.23 ms
    /// (1.0 TFLOP/s; Winograd F(4×4, 3×3) on AMX GEMMs ~0.9 ms), 28×28 0.17, 14×14 0.20, 7×7
    /// 0.14 (1.7 TFLOP/s; F(2×2, 3×3) ~0.93); the 1×1 stride-2 layers 0.060 / 0.041 / 0.033
    /// ms against the bf16 packed GEMM's 0.062 / 0.062 / 0.071. Not the 1×1 stride-1 layers
    /// (MobileNetV2's 32→16 at 112²: 0.22 against 0.14 ms; blocking the whole input costs
    /// more than their product saves). Layers with at most 4 input channels (the stem) run its
    /// narrow AMX path, whose K steps span taps (`kiln_conv_direct_bf16_amx_narrow.c`):
    /// ResNet's 7×7 stem 0.52 against 1.06 ms, MobileNetV2's 3×3 0.23 against 0.31. The same
    /// library runs on a CPU without AMX, on the vdpbf16ps path of the same weights.
    static func heuristic(_ s: ConvShape, precision: Precision, amx: Bool = false) -> ConvAlgorithm {
        let fp32 = heuristic(s)
        guard precision == .bf16, s.applies(.packedGemmBF16) else { return fp32 }
        if amx, s.applies(.directBF16) {
            if s.c >= 16, s.kh * s.kw > 1 || s.stride > 1 { return .directBF16 }
            if s.c <= 4, s.geometry.dilation.w == 1 { return .directBF16 } // the narrow AMX path
        }
        if fp32 == .winogradF4x3 { return .winogradF4x3BF16 }
        if s.applies(.winogradF2x3BF16), s.c >= 16 { return .winogradF2x3BF16 }
        if s.applies(.directBF16), s.kh == 3, s.kw == 3, s.c >= 16 { return .directBF16 }
        return .packedGemmBF16
    }

    /// The heuristic's switches for larger batches, each one's weights built from the
    /// embedded ones on its first call: a 3×3 stride-1 layer with outputs under 14×14 that runs
    /// the packed GEMM runs Winograd F(2×2, 3×3) from batch 2 and F(4×4, 3×3) from batch 8 on;
    /// one with 14×14 to 27×27 outputs on F(2×2, 3×3) runs F(4×4, 3×3) from batch 2 (one
    /// thread, CPU time, 256 channels: batch 2 2.9–3.1 vs 3.6–3.7 ms, batch 8 10.8–11.0 vs
    /// 11.8–12.7, batch 32 37–44 vs 44–52 ms). See ``heuristic(_:)`` for batch 1.
    static func largeBatchSwitches(_ s: ConvShape, chosen: ConvAlgorithm) -> [(fromBatch: Int, algorithm: ConvAlgorithm)] {
        guard s.applies(.winogradF2x3), s.applies(.winogradF4x3) else { return [] }
        let (oh, ow) = s.outputSize
        switch chosen {
        case .packedGemm where min(oh, ow) < 14: return [(2, .winogradF2x3), (8, .winogradF4x3)]
        case .winogradF2x3 where min(oh, ow) >= 14 && min(oh, ow) < 28: return [(2, .winogradF4x3)]
        default: return []
        }
    }

    /// Sets `algorithm` on every convolution of `g`.
    /// With max-autotune, candidates are timed as `libraryKernels` (called once, only then)
    /// provides them: the library's own build of each kernel.
    static func choose(_ g: inout LoweredGraph, batch: Int, options: AOTCompileOptions, cache: CompileCache,
                       libraryKernels: () -> LibraryKernels? = { nil }) throws -> AlgorithmSelection {
        var sel = AlgorithmSelection()
        let shapes = g.shapes
        let convs = g.nodes.indices.filter { if case .conv = g.nodes[$0].op { true } else { false } }
        let cold = weightsLeaveTheCache(g, precision: options.precision)
        let amx = options.precision == .bf16 && kiln_cpu_has_amx_bf16() != 0
        var tuner: Autotuner?
        if options.maxAutotune && options.forcedAlgorithm == nil {
            tuner = Autotuner(cache: cache, precision: options.precision, coldWeights: cold,
                              libraryKernels: libraryKernels(), log: options.log)
        }
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
                c.algorithm = heuristic(shape, precision: options.precision, amx: amx)
                c.largeBatch = largeBatchSwitches(shape, chosen: c.algorithm)
            }
            g.nodes[i].op = .conv(c)
            sel.choices.append(Choice(step: c.fused.first ?? g.nodes[i].name, algorithm: c.algorithm, shape: shape.description, source: source,
                                      largeBatch: Choice.largeBatchText(c)))
        }
        if let tuner { sel.tables = tuner.tables; tuner.finish() }
        if sel.cachedWinners > 0 {
            options.log("autotune: \(sel.cachedWinners) of \(convs.count) winners from the cache (\(Autotuner.file(cache).path))")
        }
        return sel
    }

    /// Whether a run of `g` evicts each convolution's weights before its next run: when the
    /// convolutions' weights (at the precision's bytes per weight, before any algorithm's
    /// packing enlarges them) exceed half the last-level cache, which also holds the
    /// activations and the other core's data. ResNet-18 (46 MB fp32) does on a 32 MB cache,
    /// MobileNetV2 (14 MB) does not. Unknown cache size: no.
    static func weightsLeaveTheCache(_ g: LoweredGraph, precision: Precision) -> Bool {
        guard let llc = CPUInfo.current.lastLevelCacheBytes else { return false }
        let count = g.nodes.reduce(0) { n, node in if case let .conv(c) = node.op { n + c.weight.count } else { n } }
        return count * (precision == .bf16 ? 2 : 4) > llc / 2
    }

    /// Moves the convolutions named in `steps` to the fp32 heuristic's kernel (the bf16
    /// accuracy budget's choice, ``BF16Budget``), recorded with source `accuracy`.
    static func keepFP32(_ steps: Set<String>, in g: inout LoweredGraph, selection: inout AlgorithmSelection) {
        let shapes = g.shapes
        for i in g.nodes.indices {
            guard case var .conv(c) = g.nodes[i].op, steps.contains(c.fused.first ?? g.nodes[i].name) else { continue }
            let shape = ConvShape(step: c, inputRow: shapes[c.x]?.rowShape ?? [], batch: 1)
            c.algorithm = heuristic(shape)
            c.largeBatch = largeBatchSwitches(shape, chosen: c.algorithm)
            g.nodes[i].op = .conv(c)
            for k in selection.choices.indices where selection.choices[k].step == (c.fused.first ?? g.nodes[i].name) {
                selection.choices[k].algorithm = c.algorithm
                selection.choices[k].source = "accuracy"
                selection.choices[k].largeBatch = Choice.largeBatchText(c)
            }
        }
    }
}
