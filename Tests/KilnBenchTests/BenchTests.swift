import Foundation
import Testing
@testable import Kiln
@testable import KilnBench

/// The measuring instruments of `kiln bench`: FLOP counting, latency statistics, the sgemm
/// peak and resident memory.
@Suite struct BenchTests {
    /// Multiply-accumulates of a k×k convolution from `cin` to `cout` channels producing an
    /// `out`×`out` map — written from the architecture table, independently of the graph.
    static func convMACs(_ cin: Int, _ cout: Int, k: Int, out: Int) -> Int { cin * cout * k * k * out * out }

    /// torchvision's ResNet-18/34 (BasicBlock) MACs at batch 1, 224×224, layer by layer.
    static func basicResNetMACs(_ blocks: [Int]) -> Int {
        var macs = convMACs(3, 64, k: 7, out: 112)                      // conv1, stride 2
        var cin = 64
        for (i, (width, size)) in zip([64, 128, 256, 512], [56, 28, 14, 7]).enumerated() {
            for b in 0..<blocks[i] {
                macs += convMACs(b == 0 ? cin : width, width, k: 3, out: size)   // conv1 (stride 2 in block 0 of layers 2–4)
                macs += convMACs(width, width, k: 3, out: size)                  // conv2
                if b == 0 && cin != width { macs += convMACs(cin, width, k: 1, out: size) }   // downsample
            }
            cin = width
        }
        return macs + 512 * 1000                                         // fc
    }

    /// torchvision's ResNet-50 (Bottleneck v1.5: stride on the 3×3) MACs at batch 1.
    static func resnet50MACs() -> Int {
        var macs = convMACs(3, 64, k: 7, out: 112)
        var cin = 64
        for (i, (width, size)) in zip([64, 128, 256, 512], [56, 28, 14, 7]).enumerated() {
            for b in 0..<[3, 4, 6, 3][i] {
                let inSize = b == 0 && i > 0 ? size * 2 : size
                macs += convMACs(b == 0 ? cin : width * 4, width, k: 1, out: inSize)   // conv1 1×1 before the stride
                macs += convMACs(width, width, k: 3, out: size)                         // conv2 3×3 (strided)
                macs += convMACs(width, width * 4, k: 1, out: size)                     // conv3 1×1
                if b == 0 { macs += convMACs(cin, width * 4, k: 1, out: size) }         // downsample
            }
            cin = width * 4
        }
        return macs + 2048 * 1000
    }

    static func exported(_ name: ModelName) throws -> ExportedProgram {
        try export(name.build(), exampleInputs: [.zeros([1, 3, 224, 224])], dynamicShapes: ["x": [0: Dim("batch", min: 1, max: 32)]])
    }

    @Test func resnet18FLOPsMatchTheArchitecture() throws {
        let program = try Self.exported(.resnet18)
        let macs = Self.basicResNetMACs([2, 2, 2, 2])
        #expect(macs == 1_814_073_344)   // torchvision's "1.81 GFLOPS" (MACs) for resnet18
        let one = try program.flops(batch: 1)
        #expect(one.total == 2 * macs, "\(one)")
        #expect(one.linear == 2 * 512 * 1000)
        #expect(try program.flops(batch: 32).total == 32 * 2 * macs)
        #expect(abs(one.gflops(milliseconds: 1000) - 3.628146688) < 1e-9)
    }

    @Test func resnet34And50FLOPsMatchTheArchitecture() throws {
        #expect(try Self.exported(.resnet34).flops(batch: 1).total == 2 * Self.basicResNetMACs([3, 4, 6, 3]))
        let r50 = Self.resnet50MACs()
        #expect(abs(Double(r50) / 1e9 - 4.09) < 0.005)   // torchvision's "4.09 GFLOPS" (MACs) for resnet50
        #expect(try Self.exported(.resnet50).flops(batch: 3).total == 3 * 2 * r50)
    }

    @Test func groupedConvolutionsCountTheirChannelsPerGroup() throws {
        // x: (s0, 8, 10, 10), w: (8, 8/4, 3, 3), groups 4 → y: (s0, 8, 8, 8); then linear 512 → 10.
        let s0 = SymDim.symbol("s0")
        let graph = Graph(nodes: [
            GraphNode(name: "conv", op: .conv2d, inputs: ["x", "w"],
                      attributes: .init(stride: 1, padding: 0, dilation: 1, groups: 4), shape: [s0, .static(8), .static(8), .static(8)]),
            GraphNode(name: "flat", op: .flatten, inputs: ["conv"], attributes: .init(startDim: 1), shape: [s0, .static(512)]),
            GraphNode(name: "fc", op: .linear, inputs: ["flat", "fc_w"], shape: [s0, .static(10)]),
        ])
        let signature = GraphSignature(inputs: [GraphInput(name: "x", shape: [s0, .static(8), .static(10), .static(10)])],
                                       constants: [GraphConstant(name: "w", kind: .parameter, shape: [8, 2, 3, 3]),
                                                   GraphConstant(name: "fc_w", kind: .parameter, shape: [10, 512])],
                                       outputs: ["fc"])
        let n = 3
        let count = try FLOPCount.count(graph, signature: signature, bindings: ["s0": n])
        #expect(count.convolution == 2 * n * 8 * 8 * 8 * (8 / 4) * 3 * 3)
        #expect(count.linear == 2 * n * 512 * 10)
        #expect(count.otherElements == n * 512)
        #expect(throws: FLOPCountError.self) { try FLOPCount.count(graph, signature: signature, bindings: [:]) }
    }

    @Test func percentilesInterpolateLikeNumPy() {
        let s = LatencyStatistics(samples: [5, 1, 4, 2, 3])
        #expect(s.median == 3 && s.min == 1 && s.max == 5 && s.mean == 3)
        #expect(abs(s.p90 - 4.6) < 1e-12)   // numpy.percentile([1,2,3,4,5], 90) == 4.6
        #expect(LatencyStatistics(samples: [4, 1, 3, 2]).median == 2.5)
        #expect(LatencyStatistics(samples: [7]).p90 == 7)
        #expect(LatencyStatistics(samples: []).median == 0)
    }

    @Test func measureTakesTheRunsAskedForUnlessTheBudgetEnds() {
        var calls = 0
        let s = LatencyStatistics.measure(warmup: 2, runs: 5) { calls += 1 }
        #expect(s.samples.count == 5 && calls == 7)
        // A spent budget still leaves the minimum number of runs …
        calls = 0
        let short = LatencyStatistics.measure(warmup: 0, runs: 50, minimumRuns: 3, budgetSeconds: 0) { calls += 1 }
        #expect(short.samples.count == 3 && calls == 3)
        // … never more than asked for.
        #expect(LatencyStatistics.measure(warmup: 0, runs: 2, minimumRuns: 3, budgetSeconds: 0) {}.samples.count == 2)
        #expect(s.p90 >= s.median && s.median >= s.min)
    }

    @Test func sgemmWrapperMatchesANaiveProduct() {
        for (m, n, k) in [(1, 1, 1), (3, 5, 7), (17, 9, 33), (64, 65, 31)] {
            let a = Tensor.randn([m, k], seed: 1), b = Tensor.randn([k, n], seed: 2), c = Tensor.zeros([m, n])
            BLAS.sgemm(m: m, n: n, k: k, a: a.storage.base, b: b.storage.base, c: c.storage.base)
            var worst: Float = 0
            for i in 0..<m {
                for j in 0..<n {
                    var ref: Double = 0
                    for p in 0..<k { ref += Double(a.storage.base[i * k + p]) * Double(b.storage.base[p * n + j]) }
                    worst = max(worst, abs(c.storage.base[i * n + j] - Float(ref)))
                }
            }
            // float32 accumulation over k terms of unit-variance products: 1e-5 · k is generous.
            #expect(worst <= 1e-5 * Float(k), "sgemm m=\(m) n=\(n) k=\(k): max |Δ| \(worst)")
        }
        let peak = SGEMMPeak.measure(size: 96, runs: 2)
        #expect(peak.statistics.samples.count == 2 && peak.gflops > 0 && peak.gflops >= peak.medianGFLOPS)
    }

    @Test func fmaPeakIsMeasuredForWhatTheCPUHas() {
        // Positive exactly when the CPU has the instruction: 0 is the "not available" answer.
        let peak = FMAPeak.measure(threads: 1, seconds: 0.005)
        let flags = CPUInfo.current.flags
        #expect((peak.fp32GFLOPS > 0) == flags.contains("avx512f"), "fp32 \(peak.fp32GFLOPS) GFLOP/s")
        #expect((peak.bf16GFLOPS > 0) == (flags.contains("avx512f") && flags.contains("avx512_bf16")), "bf16 \(peak.bf16GFLOPS) GFLOP/s")
        #expect(peak.description.contains("vdpbf16ps zmm"))
    }

    /// Two CPUs (this project's machines have at least two): a positive round trip well under
    /// a millisecond, and the caller's affinity untouched (the probe runs on threads of its
    /// own); one CPU: nil.
    @Test func coreRoundTripNeedsTwoCPUsAndLeavesTheCallerAlone() {
        // This thread's CPUs, as the kernel lists them (the probe pins the calling thread).
        func allowed() -> String? {
            (try? String(contentsOfFile: "/proc/thread-self/status", encoding: .utf8))?
                .split(separator: "\n").first { $0.hasPrefix("Cpus_allowed_list:") }.map(String.init)
        }
        let before = allowed()
        let probe = CoreRoundTrip.measure(batches: 5)
        #expect(before != nil && allowed() == before)
        if ProcessInfo.processInfo.activeProcessorCount >= 2 {
            let ns = try? #require(probe?.nanoseconds)
            #expect((ns ?? 0) > 1 && (ns ?? .infinity) < 1_000_000, "\(String(describing: ns)) ns")
            #expect(probe?.description.hasPrefix("core-to-core round trip: ") == true)
        } else {
            #expect(probe.map(\.nanoseconds) == nil)
        }
    }

    @Test func residentMemoryComesFromProcStatus() throws {
        #expect(ProcessMemory.parseStatusField("VmHWM", in: "Name:\tx\nVmHWM:\t   1234 kB\nVmRSS:\t 1000 kB\n") == 1234 * 1024)
        #expect(ProcessMemory.parseStatusField("VmSwap", in: "VmHWM:\t1 kB\n") == nil)
        let rss = try #require(ProcessMemory.residentBytes), peak = try #require(ProcessMemory.peakResidentBytes)
        #expect(rss > 0 && peak >= rss)
    }
}
