import Foundation
import Testing
@testable import Kiln

/// examples/c: built with cc, run on a compiled ResNet-18, its top-5 equal Kiln's.
@Suite struct CExampleTests {
    @Test func cExampleLoadsLibraryAndPrintsTop5() throws {
        let dir = CompileFixtures.scratch()
        let root = Fixtures.packageRoot
        let build = try Subprocess.run(["cc", "-O2", "-Wall", "-Werror", "-I", root.appendingPathComponent("Sources/CKilnKernels/include").path,
                                        root.appendingPathComponent("examples/c/kiln_top5.c").path, "-o", dir.appendingPathComponent("kiln_top5").path, "-ldl"])
        try #require(build.succeeded, "\(build.output)")

        // The fixture library and input when present, else the small seeded one.
        let library: String, x: Tensor
        if let path = CompileFixtures.fixtureLibrary, let cases = Fixtures.file("resnet18_cases.safetensors") {
            library = path
            x = try SafetensorsFile(contentsOf: cases).tensor(named: "input_b3")
        } else {
            library = CompileFixtures.smallLibrary
            x = Tensor.randn([3, 3, 32, 32], seed: 5)
        }
        let input = dir.appendingPathComponent("input.f32")
        try Data(x.scalars.withUnsafeBufferPointer { Data(buffer: $0) }).write(to: input)
        let run = try Subprocess.run([dir.appendingPathComponent("kiln_top5").path, library, "\(x.shape[0])", input.path])
        try #require(run.succeeded, "\(run.output)")

        let want = try aotLoad(library)(x).topK(5)
        let rows = run.output.split(separator: "\n").filter { $0.contains("top-5:") }
        #expect(rows.count == x.shape[0], "\(run.output)")
        for (b, row) in rows.enumerated() {
            let indices = row.split(separator: ":", maxSplits: 1)[1].split(separator: " ").compactMap { Int($0) }
            #expect(indices == want[b].map(\.index), "row \(b): \(row)")
        }
        #expect(!run.output.contains("KILN_PROFILE"), "no profile unless asked: \(run.output)")

        // KILN_PROFILE=1: kiln_destroy reports every step of the graph once, with its time.
        let profiled = try Subprocess.run(["env", "KILN_PROFILE=1", dir.appendingPathComponent("kiln_top5").path, library, "\(x.shape[0])", input.path])
        try #require(profiled.succeeded, "\(profiled.output)")
        let steps = profiled.output.split(separator: "\n").filter { $0.contains(" ms ") && $0.contains("%") }
        #expect(profiled.output.contains("KILN_PROFILE: 1 runs"), "\(profiled.output)")
        #expect(steps.contains { $0.contains("conv1") } && steps.contains { $0.contains("fc: linear") }, "\(profiled.output)")
        #expect(!profiled.output.contains("thread CPU time"), "KILN_PROFILE=1 is wall time: \(profiled.output)")

        // KILN_PROFILE=cpu: the same report, timed with the stepping thread's CPU clock.
        let cpu = try Subprocess.run(["env", "KILN_PROFILE=cpu", "KILN_NUM_THREADS=1", dir.appendingPathComponent("kiln_top5").path, library, "\(x.shape[0])", input.path])
        try #require(cpu.succeeded, "\(cpu.output)")
        #expect(cpu.output.contains("KILN_PROFILE: 1 runs") && cpu.output.contains("(thread CPU time)"), "\(cpu.output)")
        #expect(cpu.output.split(separator: "\n").contains { $0.contains(" ms ") && $0.contains("fc: linear") }, "\(cpu.output)")

        // KILN_PROFILE=threads (two threads, the batch through each step together): each step
        // with both threads' busy ms and its idle share, then the per-thread totals.
        let threads = try Subprocess.run(["env", "KILN_PROFILE=threads", "KILN_NUM_THREADS=2", "KILN_BATCH_SPLIT=0",
                                          dir.appendingPathComponent("kiln_top5").path, library, "\(x.shape[0])", input.path])
        try #require(threads.succeeded, "\(threads.output)")
        let lines = threads.output.split(separator: "\n")
        #expect(threads.output.contains("ms busy per thread (the caller first)"), "\(threads.output)")
        let conv1 = lines.first { $0.contains("conv1") && $0.contains(" busy ") }
        let fields = conv1.map { $0.split(separator: " ") } ?? []
        let busyAt = fields.firstIndex(of: "busy") ?? fields.endIndex
        let busy = fields.dropFirst(busyAt + 1).prefix(2).compactMap { Double($0) }
        // (The worker's share is not asserted: on a loaded machine the caller may claim every band.)
        #expect(busy.count == 2 && busy[0] > 0 && busy[1] >= 0, "conv1 with a busy ms per thread: \(conv1 ?? "missing")")
        #expect(lines.contains { $0.hasPrefix("KILN_PROFILE: busy per thread ") && $0.contains("idle") }, "\(threads.output)")
        // Images split across threads run each step on one thread: nothing to account, and
        // the report says so instead of printing a caller that did everything.
        let split = try Subprocess.run(["env", "KILN_PROFILE=threads", "KILN_NUM_THREADS=2", "KILN_BATCH_SPLIT=1",
                                        dir.appendingPathComponent("kiln_top5").path, library, "\(x.shape[0])", input.path])
        try #require(split.succeeded, "\(split.output)")
        if x.shape[0] > 1 {
            #expect(split.output.contains("busy per thread not measured"), "\(split.output)")
        }
    }
}
