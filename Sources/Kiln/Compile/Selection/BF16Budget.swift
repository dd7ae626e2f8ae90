import Foundation

/// The bf16 accuracy budget: after kernel selection, a `.bf16` compile runs the program on
/// seeded inputs twice in-process — every convolution in fp32 (the eager kernels), and every
/// convolution the selection gave a bf16 kernel on that kernel (``ConvShape/run``, the
/// library's kernel source built in-process) — and when the outputs differ by more than ``budget`` · max |fp32
/// output|, keeps in fp32 the layers that contribute most until the whole network is within
/// it. Each layer's contribution e is measured alone (only that layer in bf16); rounding errors
/// of different layers are independent, so they add in quadrature, and the layers are moved
/// in order of e² per multiply-add (most error for least fp32 work) until the estimate is
/// within 0.9 · budget, then the network is measured again (and more layers moved while it is
/// over).
///
/// A layer moved back runs the fp32 heuristic's kernel; the library records it with source
/// `accuracy` in its `autotune` list and the measurements under `bf16_accuracy`.
struct BF16Budget: Codable {
    /// The contract: max |Δ| ≤ 5e-3 · max |fp32 reference| (README, bf16).
    static let contract: Float = 5e-3
    /// What the compile aims for on its check inputs: 0.7 of the contract, leaving 30% for
    /// inputs and batches the check did not see.
    static let budget: Float = contract * 0.7
    /// The check's batch where the program's batch is symbolic.
    static let checkBatch = 2

    /// Error of the network with every bf16 layer in bf16.
    var allBF16: Float = 0
    /// Error of the network as compiled (after the moves).
    var final: Float = 0
    /// A step moved back to fp32, with its error alone.
    struct Move: Codable {
        var step: String
        var error: Float
    }
    /// Steps moved back to fp32, in the order they were moved.
    var moved: [Move] = []

    /// The metadata entry (`bf16_accuracy`).
    var metadata: [String: Any] {
        ["budget": Double(Self.budget), "error_all_bf16": Double(allBF16), "error": Double(final),
         "fp32_for_accuracy": moved.map { ["step": $0.step, "error_alone": Double($0.error)] as [String: Any] }]
    }

    /// Checks the bf16 choices of `selection` on `graph` and moves layers to fp32 until the
    /// network is within ``budget``; nil when there is nothing to check (no bf16 layer). The
    /// outcome is kept in the cache's `autotune/` folder by program, choices, example shapes,
    /// CPU and Kiln version, so compiling the same program again skips the runs.
    static func apply(_ graph: inout LoweredGraph, selection: inout AlgorithmSelection, source: CompileSource,
                      exampleInputs: [Tensor], cache: CompileCache, log: (String) -> Void) throws -> BF16Budget? {
        var bf16: [String: ConvAlgorithm] = [:]
        for c in selection.choices where c.algorithm.precision == .bf16 { bf16[c.step] = c.algorithm }
        guard !bf16.isEmpty else { return nil }
        let key = SHA256Digest.hex(Data(([source.graphHash, "\(exampleInputs.map(\.shape))", "\(budget) \(checkBatch)"]
            + selection.choices.map { "\($0.step)=\($0.algorithm.rawValue)" }).joined(separator: "\n").utf8))
        let file = cache.autotune.appendingPathComponent("bf16-accuracy-" + Autotuner.file(cache).lastPathComponent)
        var stored = (try? JSONDecoder().decode([String: BF16Budget].self, from: Data(contentsOf: file))) ?? [:]
        let result: BF16Budget
        if let hit = stored[key] {
            result = hit
        } else {
            result = try measure(bf16, choices: selection.choices.map(\.step), work: multiplyAdds(graph),
                                 check: BF16Check(source: source, exampleInputs: exampleInputs, batch: checkBatch))
            stored[key] = result
            try? FileManager.default.createDirectory(at: cache.autotune, withIntermediateDirectories: true)
            if let data = try? JSONEncoder().encode(stored) { try? AtomicFile.write(data, to: file) }
        }
        if !result.moved.isEmpty { AlgorithmSelection.keepFP32(Set(result.moved.map(\.step)), in: &graph, selection: &selection) }
        log(result.summary(layers: bf16.count))
        return result
    }

    /// The check itself: `bf16` (step → algorithm) in `choices`' order, `work` multiply-adds by step.
    static func measure(_ bf16: [String: ConvAlgorithm], choices: [String], work: [String: Float], check: BF16Check) throws -> BF16Budget {
        var result = BF16Budget()
        let (reference, values) = try check.reference()
        result.allBF16 = try check.error(check.run(bf16: bf16), reference)
        result.final = result.allBF16
        guard result.allBF16 > budget else { return result }
        // Each layer alone, in execution order.
        var alone: [Move] = []
        for step in choices where bf16[step] != nil {
            alone.append(Move(step: step, error: try check.error(check.run(alone: step, bf16[step]!, from: values), reference)))
        }
        // Most error removed per multiply-add given back to fp32 first (the greedy answer to
        // "least fp32 work for the budget"); ties keep execution order.
        let order = alone.enumerated().sorted {
            ($0.element.error * $0.element.error / work[$0.element.step, default: 1], -$0.offset)
                > ($1.element.error * $1.element.error / work[$1.element.step, default: 1], -$1.offset)
        }.map(\.element)
        var kept = bf16
        var next = 0
        var estimate = alone.reduce(0) { $0 + $1.error * $1.error }.squareRoot()
        while next < order.count && estimate > budget * 0.9 {
            kept[order[next].step] = nil
            estimate = max(estimate * estimate - order[next].error * order[next].error, 0).squareRoot()
            next += 1
        }
        result.final = try check.error(check.run(bf16: kept), reference)
        while result.final > budget && next < order.count {
            kept[order[next].step] = nil
            next += 1
            result.final = try check.error(check.run(bf16: kept), reference)
        }
        result.moved = Array(order[..<next])
        return result
    }

    /// Multiply-adds per image of every convolution step, by step name.
    static func multiplyAdds(_ g: LoweredGraph) -> [String: Float] {
        let shapes = g.shapes
        var out: [String: Float] = [:]
        for n in g.nodes {
            guard case let .conv(c) = n.op else { continue }
            let s = ConvShape(step: c, inputRow: shapes[c.x]?.rowShape ?? [], batch: 1)
            let (oh, ow) = s.outputSize
            out[c.fused.first ?? n.name] = Float(s.oc * (s.c / max(s.groups, 1)) * s.kh * s.kw * oh * ow)
        }
        return out
    }

    /// One line for the compile log.
    func summary(layers: Int) -> String {
        let head = String(format: "bf16 accuracy: max |Δ| / max |fp32| %.2e with all %d bf16 layers (budget %.1e)", allBF16, layers, Self.budget)
        guard !moved.isEmpty else { return head + "; every layer stays bf16" }
        return head + String(format: "; %d kept in fp32 → %.2e: ", moved.count, final)
            + moved.map { String(format: "%@ (%.1e)", $0.step, $0.error) }.joined(separator: ", ")
    }
}
