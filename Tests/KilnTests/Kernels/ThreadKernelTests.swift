import Foundation
import CKilnKernels
import Synchronization
import Testing

/// kiln_parallel_for and kiln_parallel_for_balanced: every index covered exactly once,
/// chunking rules, stealing from a slow thread, and concurrent callers.
@Suite(.serialized) struct ThreadKernelTests {
    /// Context for `markRange`: per-index hit counts and the begin of the chunk that hit it.
    struct Marks {
        var hits: [Int32]
        var chunkBegin: [Int]
        init(_ n: Int) {
            hits = [Int32](repeating: 0, count: n)
            chunkBegin = [Int](repeating: -1, count: n)
        }
    }

    /// Runs kiln_parallel_for(n, minChunk) and returns the per-index hits and the chunk
    /// begins seen. Chunks are disjoint, so the body's writes never race.
    static func run(_ n: Int, minChunk: Int) -> Marks {
        var hits = [Int32](repeating: 0, count: n), begins = [Int](repeating: -1, count: n)
        hits.withUnsafeMutableBufferPointer { hitsBuf in
            begins.withUnsafeMutableBufferPointer { beginsBuf in
                var ctx = (hitsBuf.baseAddress, beginsBuf.baseAddress)
                withUnsafeMutablePointer(to: &ctx) { ctxPtr in
                    kiln_parallel_for(n, minChunk, { raw, begin, end in
                        let c = raw!.assumingMemoryBound(to: (UnsafeMutablePointer<Int32>?, UnsafeMutablePointer<Int>?).self).pointee
                        for i in begin..<end {
                            c.0![i] += 1
                            c.1![i] = begin
                        }
                    }, ctxPtr)
                }
            }
        }
        var marks = Marks(0)
        marks.hits = hits
        marks.chunkBegin = begins
        return marks
    }

    static func problems(_ m: Marks, n: Int, minChunk: Int, maxChunks: Int) -> String? {
        if let bad = m.hits.firstIndex(where: { $0 != 1 }) {
            return "parallel_for n=\(n) min_chunk=\(minChunk): index \(bad) run \(m.hits[bad]) times"
        }
        if n == 0 { return nil }
        // Chunks are contiguous: a new begin appears exactly where a chunk starts.
        var sizes: [Int] = [], start = 0
        for i in 1...n where i == n || m.chunkBegin[i] != m.chunkBegin[i - 1] {
            if m.chunkBegin[start] != start {
                return "parallel_for n=\(n) min_chunk=\(minChunk): chunk at \(start) reports begin \(m.chunkBegin[start])"
            }
            sizes.append(i - start)
            start = i
        }
        if sizes.count > maxChunks {
            return "parallel_for n=\(n) min_chunk=\(minChunk): \(sizes.count) chunks > \(maxChunks) threads"
        }
        if sizes.count > 1, let small = sizes.min(), small < max(minChunk, 1) {
            return "parallel_for n=\(n) min_chunk=\(minChunk): chunk of \(small) < min_chunk"
        }
        return nil
    }

    @Test func coversEveryIndexOnce() {
        let threads = Int(kiln_get_num_threads())
        #expect(threads >= 1)
        var failures: [String] = []
        for n in [0, 1, 2, 3, 7, 64, 1000, 100_003] {
            for minChunk in [0, 1, 3, 16, 1000, 1 << 40] {
                if let p = Self.problems(Self.run(n, minChunk: minChunk), n: n, minChunk: minChunk, maxChunks: threads) {
                    failures.append(p)
                }
            }
        }
        KernelCheck.record(failures)
    }

    /// The calling thread's count (other tests' kernels, running at the same time, keep the
    /// process-wide one: some kernels' summation order follows the count).
    @Test func setNumThreadsControlsChunks() {
        let processWide = kiln_get_num_threads()
        defer { kiln_set_thread_num_threads(0) }
        kiln_set_thread_num_threads(3)
        #expect(kiln_get_num_threads() == 3)
        let m = Self.run(9, minChunk: 1)
        #expect(Set(m.chunkBegin) == [0, 3, 6], "9 items on 3 threads should split as 3+3+3")
        #expect(Self.problems(m, n: 9, minChunk: 1, maxChunks: 3) == nil)
        kiln_set_thread_num_threads(1)
        #expect(Set(Self.run(50, minChunk: 1).chunkBegin) == [0], "one thread runs one chunk")
        final class Count: @unchecked Sendable { var value: Int32 = 0 }
        let other = Count(), done = DispatchSemaphore(value: 0)
        Thread { other.value = kiln_get_num_threads(); done.signal() }.start()
        done.wait()
        #expect(other.value == processWide, "another thread keeps the process-wide count")
        kiln_set_thread_num_threads(0)
        #expect(kiln_get_num_threads() == processWide, "0 goes back to the process-wide count")
        // The process-wide setter, to the value it has (so no concurrent test sees a change).
        kiln_set_num_threads(processWide)
        #expect(kiln_get_num_threads() == processWide)
    }

    /// A kiln_parallel_for inside a chunk (the pool is busy with the outer call) still covers
    /// its own range exactly once, with the same chunking rules.
    @Test func nestedCallsCoverTheirRanges() {
        var bad = [Int32](repeating: 0, count: 8)
        bad.withUnsafeMutableBufferPointer { buf in
            kiln_parallel_for(8, 1, { raw, begin, end in
                let bad = raw!.assumingMemoryBound(to: Int32.self)
                let threads = Int(kiln_get_num_threads())
                for i in begin..<end {
                    let n = 500 + 37 * i
                    bad[i] = ThreadKernelTests.problems(ThreadKernelTests.run(n, minChunk: 3), n: n, minChunk: 3, maxChunks: threads) == nil ? 0 : 1
                }
            }, buf.baseAddress)
        }
        #expect(bad == [Int32](repeating: 0, count: 8), "nested calls that missed or repeated indices: \(bad)")
    }

    /// Inside a chunk a kernel has one thread (nested calls run inline), so
    /// kiln_get_num_threads says 1 there and kernels do not cut work for absent threads.
    @Test func oneThreadInsideAChunk() {
        var seen = [Int32](repeating: -1, count: 4)
        seen.withUnsafeMutableBufferPointer { buf in
            kiln_parallel_for(4, 1, { raw, begin, end in
                let seen = raw!.assumingMemoryBound(to: Int32.self)
                for i in begin..<end { seen[i] = kiln_get_num_threads() }
            }, buf.baseAddress)
        }
        #expect(seen == [1, 1, 1, 1], "kiln_get_num_threads inside chunks: \(seen)")
        #expect(kiln_get_num_threads() >= 1)
    }

    /// Chunk 0 runs on the calling thread, every time (on the pool, and with 3 threads), even
    /// when the chunks take long enough that a spinning worker could claim it first: the
    /// batch-1 row-band kernels rely on it to give the caller the rows it wrote before.
    @Test func chunkZeroRunsOnTheCaller() {
        defer { kiln_set_thread_num_threads(0) }
        var misses: [String] = []
        for threads in [2, 3] {
            kiln_set_thread_num_threads(Int32(threads))
            var elsewhere = 0
            for _ in 0..<2000 {
                var flags: (caller: pthread_t, first: Int32) = (pthread_self(), -1)
                withUnsafeMutablePointer(to: &flags) { ptr in
                    kiln_parallel_for(threads, 1, { raw, begin, _ in
                        let f = raw!.assumingMemoryBound(to: (caller: pthread_t, first: Int32).self)
                        var spin = 0.0
                        for i in 0..<2000 { spin += Double(i) } // a few microseconds of work per chunk
                        if begin == 0 { f.pointee.first = pthread_equal(pthread_self(), f.pointee.caller) != 0 && spin > 0 ? 1 : 0 }
                    }, ptr)
                }
                if flags.first != 1 { elsewhere += 1 }
            }
            if elsewhere > 0 { misses.append("\(threads) threads: chunk 0 ran off the caller \(elsewhere) of 2000 times") }
        }
        KernelCheck.record(misses)
    }

    /// Four threads hammer kiln_parallel_for at once; each call must still see exactly its
    /// own indices, once each.
    @Test func concurrentCallersFromFourThreads() {
        let failures = UncheckedBox([String]())
        runOnThreads(4) { t in
            let threads = Int(kiln_get_num_threads())
            for round in 0..<150 {
                let n = [1, 5, 97, 4096, 20_000][(round + t) % 5]
                let minChunk = [1, 7, 256][(round * 3 + t) % 3]
                if let p = Self.problems(Self.run(n, minChunk: minChunk), n: n, minChunk: minChunk, maxChunks: threads) {
                    failures.withLock { $0.append("thread \(t) round \(round): \(p)") }
                }
            }
        }
        KernelCheck.record(failures.value)
    }

    /// Each chunk's kiln_thread_switches() in a 64-item parallel call from this thread.
    static func chunkSwitches() -> [UInt32] {
        var seen = [UInt32](repeating: 99, count: 64)
        seen.withUnsafeMutableBufferPointer { buf in
            kiln_parallel_for(64, 1, { raw, begin, end in
                let p = raw!.assumingMemoryBound(to: UInt32.self)
                for i in begin..<end { p[i] = kiln_thread_switches() }
            }, buf.baseAddress)
        }
        return seen
    }

    /// A kernel switch set on one thread reaches every chunk of that thread's parallel calls,
    /// whichever thread runs it, and never another thread's work: a test forcing the portable
    /// GEMM cannot change what a concurrent test computes.
    @Test func switchesTravelWithTheCallersChunksOnly() {
        let bit = UInt32(KILN_SWITCH_PORTABLE_GEMM)
        final class Seen: @unchecked Sendable { var switches: [UInt32] = []; var usesAVX512: Int32 = -1 }
        func onAnotherThread() -> Seen {
            let seen = Seen(), done = DispatchSemaphore(value: 0)
            Thread {
                seen.switches = Self.chunkSwitches()
                seen.usesAVX512 = kiln_gemm_uses_avx512()
                done.signal()
            }.start()
            done.wait()
            return seen
        }
        kiln_gemm_force_portable(1)
        defer { kiln_gemm_force_portable(0) }
        #expect(kiln_thread_switches() & bit != 0)
        #expect(kiln_gemm_uses_avx512() == 0)
        let here = Self.chunkSwitches()
        #expect(here.allSatisfy { $0 & bit != 0 }, "chunks of this thread's call: \(here)")
        let other = onAnotherThread()
        #expect(other.switches.allSatisfy { $0 == 0 }, "another thread's chunks: \(other.switches)")
        #expect(other.usesAVX512 == kiln_gemm_cpu_has_avx512())
        kiln_gemm_force_portable(0)
        #expect(kiln_thread_switches() == 0 && Self.chunkSwitches().allSatisfy { $0 == 0 })
    }

    /// KILN_PROFILE=threads' accounting: a worker's chunk time counts as its busy time and the
    /// owner's wait at the join as its idle time; nothing is counted while accounting is off.
    /// Chunk 0 waits until chunk 1 has started, so a worker (not the caller) runs chunk 1,
    /// which then spins 3 ms while the caller waits at the join.
    @Test func accountingCountsWorkerBusyAndOwnerWait() {
        defer { kiln_set_thread_num_threads(0); kiln_parallel_accounting(0) }
        kiln_set_thread_num_threads(2)
        final class Gate: Sendable {
            let started = Atomic<Int32>(0), timedOut = Atomic<Int32>(0)
        }
        func call() -> Bool {
            let gate = Gate()
            kiln_parallel_for(2, 1, { raw, begin, _ in
                let g = Unmanaged<Gate>.fromOpaque(raw!).takeUnretainedValue()
                let t0 = DispatchTime.now().uptimeNanoseconds
                if begin == 1 {
                    g.started.store(1, ordering: .sequentiallyConsistent)
                    while DispatchTime.now().uptimeNanoseconds - t0 < 3_000_000 {}
                } else {
                    while g.started.load(ordering: .sequentiallyConsistent) == 0 {
                        if DispatchTime.now().uptimeNanoseconds - t0 > 5_000_000_000 { g.timedOut.store(1, ordering: .relaxed); return }
                    }
                }
            }, Unmanaged.passUnretained(gate).toOpaque())
            return gate.timedOut.load(ordering: .relaxed) != 0
        }
        func take() -> (idle: Double, busy: Double) { // the workers summed: other suites may have started more
            var idle = [Double](repeating: 0, count: 64), busy = [Double](repeating: 0, count: 64)
            kiln_parallel_time_take(&idle, &busy, 64)
            return (idle[0], busy[1...].reduce(0, +))
        }
        kiln_parallel_accounting(1)
        var seen: [String] = []
        var counted = false
        for _ in 0..<20 where !counted { // another suite may own the pool: then this call spawns its own thread
            _ = take()
            let timedOut = call()
            let t = take()
            seen.append(String(format: "idle %.2f busy %.2f ms", t.idle, t.busy) + (timedOut ? " (chunk 1 never started)" : ""))
            counted = t.busy >= 2.5 && t.idle >= 1.5
        }
        #expect(counted, "a worker's 3 ms chunk and the owner's wait should be counted: \(seen)")
        kiln_parallel_accounting(0)
        _ = take()
        _ = call()
        let off = take()
        #expect(off.idle == 0 && off.busy == 0, "accounting off counts nothing: \(off)")
    }

    /// What one kiln_parallel_for_balanced call handed out: per-index hits, ranges that were
    /// empty or longer than the grain, and which indices ran on the calling thread.
    final class Balanced: @unchecked Sendable {
        let n: Int, grain: Int
        let caller = pthread_self()
        let hits: UnsafeMutablePointer<Int32>, onCaller: UnsafeMutablePointer<Int32>
        let emptyRanges = Atomic<Int>(0), longRanges = Atomic<Int>(0)
        /// Runs first in every range, on the thread that claimed it (the stealing test blocks
        /// the worker here).
        var onRange: (@Sendable (Balanced, Int, Int) -> Void)?
        init(n: Int, grain: Int) {
            self.n = n
            self.grain = grain
            hits = .allocate(capacity: max(n, 1))
            onCaller = .allocate(capacity: max(n, 1))
            hits.initialize(repeating: 0, count: max(n, 1))
            onCaller.initialize(repeating: -1, count: max(n, 1))
        }
        deinit {
            hits.deallocate()
            onCaller.deallocate()
        }
        var hitCounts: [Int32] { Array(UnsafeBufferPointer(start: hits, count: n)) }
        var callerRan: [Int32] { Array(UnsafeBufferPointer(start: onCaller, count: n)) }

        func run(minChunk: Int) {
            kiln_parallel_for_balanced(n, minChunk, grain, { raw, begin, end in
                let b = Unmanaged<Balanced>.fromOpaque(raw!).takeUnretainedValue()
                if end <= begin { b.emptyRanges.add(1, ordering: .relaxed); return }
                if end - begin > max(b.grain, 1) { b.longRanges.add(1, ordering: .relaxed) }
                b.onRange?(b, begin, end)
                let here: Int32 = pthread_equal(pthread_self(), b.caller) != 0 ? 1 : 0
                for i in begin..<end {
                    b.hits[i] += 1
                    b.onCaller[i] = here
                }
            }, Unmanaged.passUnretained(self).toOpaque())
        }
    }

    /// Every index exactly once, on 1-4 threads and inside another call's chunk: no empty
    /// range, and whenever the range is split across threads no claim beyond the grain.
    @Test func balancedCoversEveryIndexOnce() {
        defer { kiln_set_thread_num_threads(0) }
        var failures: [String] = []
        for threads in 1...4 {
            kiln_set_thread_num_threads(Int32(threads))
            for n in [0, 1, 2, 3, 7, 64, 1000, 100_003] {
                for minChunk in [0, 1, 3, 16, 1000] {
                    for grain in [0, 1, 5, 64] {
                        let b = Balanced(n: n, grain: grain)
                        b.run(minChunk: minChunk)
                        let name = "balanced n=\(n) min_chunk=\(minChunk) grain=\(grain) threads=\(threads)"
                        if let bad = b.hitCounts.firstIndex(where: { $0 != 1 }) {
                            failures.append("\(name): index \(bad) run \(b.hitCounts[bad]) times")
                        }
                        if b.emptyRanges.load(ordering: .relaxed) > 0 { failures.append("\(name): empty ranges") }
                        let split = min(threads, n / max(minChunk, 1)) >= 2
                        if split && b.longRanges.load(ordering: .relaxed) > 0 { failures.append("\(name): a claim beyond the grain") }
                    }
                }
            }
        }
        // Nested in a chunk of another call (every pool thread busy): runs inline, same coverage.
        kiln_set_thread_num_threads(2)
        var nestedBad = [Int32](repeating: 0, count: 4)
        nestedBad.withUnsafeMutableBufferPointer { buf in
            kiln_parallel_for(4, 1, { raw, begin, end in
                let bad = raw!.assumingMemoryBound(to: Int32.self)
                for i in begin..<end {
                    let b = ThreadKernelTests.Balanced(n: 300 + 17 * i, grain: 7)
                    b.run(minChunk: 2)
                    bad[i] = b.hitCounts.allSatisfy { $0 == 1 } ? 0 : 1
                }
            }, buf.baseAddress)
        }
        if nestedBad.contains(1) { failures.append("nested balanced calls that missed or repeated indices: \(nestedBad)") }
        KernelCheck.record(failures)
    }

    /// On two threads the caller runs its own half, in claims from the front, and then takes
    /// the other half's last items while the other thread is held up in its first claim. The
    /// caller's first claim waits until the other thread is inside its first one (so that
    /// thread, not the caller, owns the second half), and the other thread then blocks until
    /// the caller has run an index of its half: without stealing it would wait 5 s and this
    /// test fail.
    @Test func balancedCallerFinishesASlowThreadsShare() {
        defer { kiln_set_thread_num_threads(0) }
        kiln_set_thread_num_threads(2)
        final class Flag: Sendable {
            let started = Atomic<Int32>(0), stolen = Atomic<Int32>(0)
            let workerTimedOut = Atomic<Int32>(0), callerTimedOut = Atomic<Int32>(0)
        }
        let flag = Flag()
        let b = Balanced(n: 64, grain: 1)
        b.onRange = { b, begin, _ in
            let t0 = DispatchTime.now().uptimeNanoseconds
            func waited() -> Bool { DispatchTime.now().uptimeNanoseconds - t0 > 5_000_000_000 }
            if pthread_equal(pthread_self(), b.caller) != 0 {
                if begin == 0 {
                    while flag.started.load(ordering: .sequentiallyConsistent) == 0 {
                        if waited() { flag.callerTimedOut.store(1, ordering: .relaxed); return }
                    }
                }
                if begin >= 32 { flag.stolen.store(1, ordering: .sequentiallyConsistent) }
                return
            }
            flag.started.store(1, ordering: .sequentiallyConsistent)
            guard begin == 32 else { return } // held up in its first claim only
            while flag.stolen.load(ordering: .sequentiallyConsistent) == 0 {
                if waited() { flag.workerTimedOut.store(1, ordering: .relaxed); return }
            }
        }
        b.run(minChunk: 1)
        #expect(b.hitCounts.allSatisfy { $0 == 1 }, "hits: \(b.hitCounts)")
        #expect(flag.callerTimedOut.load(ordering: .relaxed) == 0, "the second thread never started its half")
        #expect(flag.workerTimedOut.load(ordering: .relaxed) == 0, "the worker waited 5 s: the caller never took an item of its half")
        #expect(b.callerRan[0..<32].allSatisfy { $0 == 1 }, "the caller's own half ran elsewhere: \(b.callerRan)")
        #expect(b.callerRan[32...].contains(1), "the caller took none of the other half: \(b.callerRan)")
        #expect(b.callerRan.last == 1, "stealing starts at the back of the other half: \(b.callerRan)")
    }
}
