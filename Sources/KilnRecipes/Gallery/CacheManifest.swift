import Foundation
import Kiln

/// The run cache, stored as `output/.kiln-cache.json`: one entry per recipe with what its last
/// run depended on and what it produced.
///
/// A recipe is skipped (its document and recorded time kept) when its entry says it passed
/// and its source hash, the Kiln build identity, the `swiftc` version and the render settings
/// (`--no-times`) all match, and its document still exists. `--force` ignores the cache.
/// Failed runs are recorded (for the gallery) but never skipped.
public struct CacheManifest: Codable, Sendable, Equatable {
    /// One recipe's record.
    public struct Entry: Codable, Sendable, Equatable {
        /// The recipe path as given.
        public var path: String
        /// Its title.
        public var title: String
        /// SHA-256 of its source.
        public var sourceHash: String
        /// The Kiln build identity it ran against.
        public var buildIdentity: String
        /// The `swiftc --version` line it was compiled with.
        public var toolchain: String
        /// Whether times were written (`--no-times` documents differ).
        public var includeTimes: Bool
        /// How it ended.
        public var status: RecipeReport.Status
        /// Its running time in seconds.
        public var seconds: Double
        /// Its failure, if any.
        public var failure: String?
    }

    /// Format version; a different version discards the manifest.
    public var version = 1
    /// Entries by output stem (`x` for `recipes/x.md`).
    public var recipes: [String: Entry] = [:]

    /// The manifest's file name inside the output directory.
    public static let fileName = ".kiln-cache.json"

    /// Creates an empty manifest.
    public init() {}

    /// Reads the manifest in `outputDirectory`; an absent or unreadable one is empty.
    public static func load(outputDirectory: String) -> CacheManifest {
        let path = (outputDirectory as NSString).appendingPathComponent(fileName)
        guard let data = FileManager.default.contents(atPath: path),
              let manifest = try? JSONDecoder().decode(CacheManifest.self, from: data),
              manifest.version == CacheManifest().version else { return CacheManifest() }
        return manifest
    }

    /// Writes the manifest atomically (sorted keys, so it diffs well).
    public func save(outputDirectory: String) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        let data = (try? encoder.encode(self)) ?? Data()
        try AtomicFile.write(data + Data("\n".utf8), to: (outputDirectory as NSString).appendingPathComponent(Self.fileName))
    }

    /// The entry that lets `name` be skipped for this key, if any.
    func reusableEntry(name: String, sourceHash: String, buildIdentity: String, toolchain: String,
                       includeTimes: Bool) -> Entry? {
        guard let e = recipes[name], e.status == .passed, e.sourceHash == sourceHash,
              e.buildIdentity == buildIdentity, e.toolchain == toolchain, e.includeTimes == includeTimes else { return nil }
        return e
    }
}
