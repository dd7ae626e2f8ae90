import Foundation

/// One of `count` parts of a recipe set (`--shard index/count`), for splitting a run across CI
/// machines: every machine computes the same split, so the shards together cover every recipe
/// exactly once.
///
/// The split balances running time when the cache manifest knows the recipes' times (the
/// committed `output/.kiln-cache.json`): longest first, each to the shard with the least time
/// so far (ties to the lower shard); a recipe without a recorded time counts as the mean of
/// the known ones. Paths break ties, so the split depends only on the recipe paths and the
/// manifest's times, never on the order of discovery or the machine. Sharded runs never update
/// that manifest (see ``RecipeRunner``), so every shard of one round sees the same times.
public struct Shard: Sendable, Equatable, CustomStringConvertible {
    /// 1-based position.
    public var index: Int
    /// Number of shards.
    public var count: Int

    /// Creates shard `index` of `count`; nil unless 1 ≤ index ≤ count.
    public init?(index: Int, count: Int) {
        guard count >= 1, (1...count).contains(index) else { return nil }
        self.index = index
        self.count = count
    }

    /// Parses `i/n` (`--shard 2/4`).
    public init?(_ text: String) {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, let i = Int(parts[0]), let n = Int(parts[1]) else { return nil }
        self.init(index: i, count: n)
    }

    public var description: String { "\(index)/\(count)" }

    /// The shard manifest's file name inside `output/.shards/` (`2-of-4.json`).
    public var manifestName: String { "\(index)-of-\(count).json" }

    /// The folder of shard manifests inside the output folder.
    public static let folder = ".shards"

    /// The recipes of this shard among `paths`, in their given order; `seconds` gives known
    /// running times by path.
    public func select(_ paths: [String], seconds: [String: Double]) -> [String] {
        let known = paths.compactMap { seconds[$0] }
        let fallback = known.isEmpty ? 1 : known.reduce(0, +) / Double(known.count)
        let ordered = paths.map { ($0, seconds[$0] ?? fallback) }.sorted { ($0.1, $1.0) > ($1.1, $0.0) }
        var load = [Double](repeating: 0, count: count)
        var mine = Set<String>()
        for (path, time) in ordered {
            let target = load.indices.min { (load[$0], $0) < (load[$1], $1) }!
            load[target] += time
            if target == index - 1 { mine.insert(path) }
        }
        return paths.filter { mine.contains($0) }
    }
}
