import Foundation
internal import CKilnKernels

/// max-autotune: benchmarks every applicable convolution algorithm on the example shape,
/// after checking each against the reference kernel (a candidate that disagrees is dropped
/// and reported), and prints a table per layer in PyTorch Inductor's AUTOTUNE format:
///
///     AUTOTUNE convolution(2x64x56x56, 64x64x3x3)
///       winograd_f2x3 0.0442 ms 100.0%
///       im2col_sgemm 0.0744 ms 59.4%
///     SingleProcess AUTOTUNE benchmarking takes 0.9660 seconds and 0.0004 seconds precompiling
///
/// Winners are cached by (op, shapes, CPU) in `<cache>/autotune/`, so a second compile skips
/// the benchmarks. Progress (layer k of n) is shown when standard error is a terminal.
struct Autotuner {
    let cache: CompileCache
    /// `.bf16`: bf16 candidates compete too, each checked against its own tolerance.
    let precision: Precision
    /// Evict each candidate's packed weights from the caches before every timed run: the
    /// network's weights exceed the last-level cache, so inside it every layer reads its weights
    /// from memory (``AlgorithmSelection/weightsLeaveTheCache(_:precision:)``). Timed hot, the
    /// algorithms with larger packed weights (Winograd's) win layers they lose in the network.
    let coldWeights: Bool
    /// The kernels as the library builds them; nil: the in-process ones (the toolchain could
    /// not build them, which the log says).
    let libraryKernels: LibraryKernels?
    let log: @Sendable (String) -> Void
    private(set) var tables: [String] = []
    private var winners: [String: String]
    private var benchmarkSeconds = 0.0, precompileSeconds = 0.0
    private var dirty = false
    /// Tolerance of a candidate against the reference: max |Δ| ≤ this · max |reference|.
    static let tolerance: Float = 1e-4
    /// The same for bf16 candidates: the network's contract (5e-3 of the output's scale) per layer.
    static let bf16Tolerance: Float = 5e-3
    /// Each candidate runs until this much time has passed (and at least 3 times).
    static let budgetSeconds = 0.05

    init(cache: CompileCache, precision: Precision = .fp32, coldWeights: Bool = false, libraryKernels: LibraryKernels? = nil,
         log: @escaping @Sendable (String) -> Void) {
        self.cache = cache
        self.libraryKernels = libraryKernels
        self.precision = precision
        self.coldWeights = coldWeights
        self.log = log
        let data = try? Data(contentsOf: Self.file(cache))
        winners = data.flatMap { try? JSONDecoder().decode([String: String].self, from: $0) } ?? [:]
    }

    /// The winners file for this CPU and Kiln version.
    static func file(_ cache: CompileCache) -> URL {
        let cpu = SHA256Digest.hex(CPUInfo.current.modelName + CPUInfo.current.flags.sorted().joined(separator: " ") + KilnVersion.string)
        return cache.autotune.appendingPathComponent("conv2d-\(cpu.prefix(16)).json")
    }

    static func key(_ c: ConvStep, _ s: ConvShape) -> String {
        "conv2d(\(s.description)) \(s.geometry.summary) residual \(c.residual != nil) " + (c.activation == .none || c.activation == .relu ? "relu \(c.relu)" : "act \(c.activation)")
    }

    /// The algorithm for one convolution, and whether it came from the winners cache.
    mutating func choose(_ c: ConvStep, shape s: ConvShape, step: String, index: Int, total: Int) throws -> (ConvAlgorithm, Bool) {
        if isatty(2) != 0 {
            FileHandle.standardError.write(Data("\rautotune: layer \(index + 1)/\(total) \(step) (\(total - index - 1) left)\u{1b}[K".utf8))
            if index + 1 == total { FileHandle.standardError.write(Data("\n".utf8)) }
        }
        let key = Self.key(c, s) + (precision == .fp32 ? "" : " precision \(precision.rawValue)") + (coldWeights ? " cold weights" : "")
        if let name = winners[key], let a = ConvAlgorithm(rawValue: name), s.applies(a) { return (a, true) }

        let x = Tensor.randn([s.n, s.c, s.h, s.w], seed: 1)
        let (oh, ow) = s.outputSize
        let residual = c.residual.map { _ in Tensor.randn([s.n, s.oc, oh, ow], seed: 2) }
        let reference = Tensor.zeros([s.n, s.oc, oh, ow])
        let weight = c.weight, bias = c.bias
        withPointers(x, weight, bias, residual) { xp, wp, bp, rp in
            s.runReference(x: xp, weight: wp, bias: bp, residual: rp, activation: c.activation, y: reference.storage.base)
        }
        let scale = max(reference.maxAbs, 1e-6)
        var results: [(ConvAlgorithm, Double)] = []
        var dropped: [String] = []
        for a in ConvAlgorithm.allCases where s.applies(a) && (a.precision == .fp32 || a.precision == precision) {
            let limit = (a.precision == .bf16 ? Self.bf16Tolerance : Self.tolerance) * scale
            let (packed, packMs) = timed { s.packedWeights(weight, for: a) }
            precompileSeconds += packMs / 1000
            let y = Tensor.zeros([s.n, s.oc, oh, ow])
            let kernel = libraryKernels?(a)
            var ws = [Float](repeating: 0, count: max(kernel != nil ? s.libraryWorkspace(a) : s.workspace(a), 1))
            let started = monotonicNanoseconds()
            var runs = 0
            var best = Double.infinity
            packed.withUnsafeBufferPointer { pp in
                ws.withUnsafeMutableBufferPointer { wsp in
                    withPointers(x, weight, bias, residual) { xp, _, bp, rp in
                        repeat {
                            if coldWeights { kiln_cache_evict(pp.baseAddress, pp.count * MemoryLayout<Float>.stride) }
                            let (_, ms) = timed {
                                if let kernel { s.run(kernel, x: xp, packed: pp.baseAddress!, bias: bp, residual: rp, activation: c.activation,
                                                      y: y.storage.base, workspace: wsp.baseAddress)
                                } else { s.run(a, x: xp, packed: pp.baseAddress!, bias: bp, residual: rp, activation: c.activation,
                                               y: y.storage.base, workspace: wsp.baseAddress) }
                            }
                            best = min(best, ms)
                            runs += 1
                            if runs == 1 && !y.isClose(to: reference, rtol: 0, atol: limit) { break } // verify before timing
                        } while runs < 3 || Double(monotonicNanoseconds() - started) / 1e9 < Self.budgetSeconds
                    }
                }
            }
            benchmarkSeconds += Double(monotonicNanoseconds() - started) / 1e9
            let cmp = y.compare(to: reference, rtol: 0, atol: limit)
            let err = cmp.maxAbsDifference
            if cmp.isClose { results.append((a, best)) } else { dropped.append("  \(a.rawValue) dropped: max |Δ| \(err) > \(limit) against the reference") }
        }
        guard let fastest = results.min(by: { $0.1 < $1.1 }) else {
            throw CompileError.unsupported("autotune: no convolution kernel matched the reference for \(step) (\(s.description))")
        }
        var lines = ["AUTOTUNE convolution(\(s.description))"]
        for (a, ms) in results.sorted(by: { $0.1 < $1.1 }) {
            lines.append(String(format: "  %@ %.4f ms %.1f%%", a.rawValue, ms, fastest.1 / ms * 100))
        }
        lines += dropped
        let table = lines.joined(separator: "\n")
        tables.append(table)
        log(table)
        winners[key] = fastest.0.rawValue
        dirty = true
        return (fastest.0, false)
    }

    /// Prints the summary line and saves the winners.
    func finish() {
        guard dirty else { return }
        log(String(format: "SingleProcess AUTOTUNE benchmarking takes %.4f seconds and %.4f seconds precompiling", benchmarkSeconds, precompileSeconds))
        let url = Self.file(cache)
        try? FileManager.default.createDirectory(at: cache.autotune, withIntermediateDirectories: true)
        let enc = JSONEncoder()
        enc.outputFormatting = [.sortedKeys, .prettyPrinted]
        if let data = try? enc.encode(winners) { try? AtomicFile.write(data, to: url) }
    }

    private func withPointers(_ x: Tensor, _ w: Tensor, _ b: Tensor?, _ r: Tensor?,
                              _ body: (UnsafePointer<Float>, UnsafePointer<Float>, UnsafePointer<Float>?, UnsafePointer<Float>?) -> Void) {
        body(UnsafePointer(x.storage.base), UnsafePointer(w.storage.base), b.map { UnsafePointer($0.storage.base) },
             r.map { UnsafePointer($0.storage.base) })
    }
}
