import Foundation

extension Toolchain {
    /// The order to start `sources`' compiles in: the most expensive first, so the last to start
    /// is a short one and both cores finish together. A file's expected cost is its size plus
    /// the sizes of the local headers it includes, transitively: the SIMD code inlined from
    /// headers (`kiln_act_simd.h`, `kiln_gemm_tile.h`, `kiln_winograd_simd.h`) is much of some
    /// small files' compile time (`ops_activation.c`: 2 KB of its own, among the slower third).
    static func compileOrder(_ sources: [String], in directory: URL) -> [Int] {
        var headerSizes: [String: Int] = [:]
        var includes: [String: [String]] = [:]
        func text(_ name: String) -> String? { try? String(contentsOf: directory.appendingPathComponent(name), encoding: .utf8) }
        func local(_ name: String) -> [String] {
            if let known = includes[name] { return known }
            let found = text(name).map(KernelSymbolScan.includes) ?? []
            includes[name] = found
            return found
        }
        func cost(_ source: String) -> Int {
            var seen = Set<String>(), stack = local(source), total = size(directory, source)
            while let h = stack.popLast() {
                guard seen.insert(h).inserted else { continue }
                if headerSizes[h] == nil { headerSizes[h] = size(directory, h) }
                total += headerSizes[h]!
                stack.append(contentsOf: local(h))
            }
            return total
        }
        let costs = sources.map(cost)  // once per source, not per comparison
        return sources.indices.sorted { costs[$0] != costs[$1] ? costs[$0] > costs[$1] : $0 < $1 }
    }

    static func size(_ directory: URL, _ file: String) -> Int {
        ((try? FileManager.default.attributesOfItem(atPath: directory.appendingPathComponent(file).path))?[.size] as? Int) ?? 0
    }
}
