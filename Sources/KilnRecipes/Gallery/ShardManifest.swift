import Foundation

/// A sharded `kiln run`'s part of the gallery: `output/.shards/i-of-n.json`, the cache entries
/// of the recipes it ran (their titles, statuses, times and the files they wrote).
/// ``RecipeRunner/mergeShards(_:)`` assembles the gallery from every shard's manifest.
public struct ShardManifest: Codable, Sendable, Equatable {
    /// Format version.
    public var version = 1
    /// Which shard wrote it (`2/4`).
    public var shard: String
    /// Entries by output stem, as in ``CacheManifest``.
    public var recipes: [String: CacheManifest.Entry]

    /// Creates a manifest.
    public init(shard: Shard, recipes: [String: CacheManifest.Entry]) {
        self.shard = shard.description
        self.recipes = recipes
    }

    /// The manifest as the text of its file (sorted keys).
    public func text() throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        return String(decoding: try encoder.encode(self), as: UTF8.self) + "\n"
    }
}
