import Foundation
import Testing
@testable import Kiln

/// The last-level cache size read from a sysfs `cache` folder (autotune's cold-weights rule).
struct CPUInfoTests {
    private func folder(_ entries: [(level: String, size: String)]) throws -> URL {
        let root = URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent("kiln-cpuinfo-\(UInt32.random(in: 0...UInt32.max))")
        for (i, e) in entries.enumerated() {
            let dir = root.appendingPathComponent("index\(i)")
            try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
            try Data((e.level + "\n").utf8).write(to: dir.appendingPathComponent("level"))
            try Data((e.size + "\n").utf8).write(to: dir.appendingPathComponent("size"))
        }
        return root
    }

    @Test func highestLevelWins() throws {
        let root = try folder([("1", "32K"), ("1", "32K"), ("2", "1024K"), ("3", "32768K")])
        defer { try? FileManager.default.removeItem(at: root) }
        #expect(CPUInfo.lastLevelCache(sysfs: root.path) == 32 << 20)
    }

    @Test func unitsAndDamagedEntries() throws {
        let root = try folder([("2", "2M"), ("3", "garbage"), ("x", "64M")])
        defer { try? FileManager.default.removeItem(at: root) }
        #expect(CPUInfo.lastLevelCache(sysfs: root.path) == 2 << 20)
        #expect(CPUInfo.lastLevelCache(sysfs: root.path + "/missing") == nil)
    }

    @Test func thisMachineReportsACache() {
        // Linux describes CPU 0's caches on every machine this project runs on; a nil here
        // would silently turn autotune's cold-weights timing off.
        guard FileManager.default.fileExists(atPath: "/sys/devices/system/cpu/cpu0/cache/index0") else {
            print("CPUInfoTests: skipped, no sysfs cache description on this machine")
            return
        }
        #expect((CPUInfo.current.lastLevelCacheBytes ?? 0) >= 1 << 20)
    }
}
