import Foundation
import Kiln

/// The run cache, stored as `output/.kiln-cache.json`: one entry per recipe with what its last
/// run depended on and what it produced.
///
/// A recipe is skipped (its document and recorded time kept) when its entry says it passed
/// and its source hash, the Kiln build identity, the `swiftc` version and the render settings
/// (`--no-times`) all match, and every file it wrote is unchanged. `--force` ignores the cache.
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
        public var status: RecipeStatus
        /// Its running time in seconds.
        public var seconds: Double
        /// Its failure, if any.
        public var failure: String?
        /// The SHA-256 of each file it wrote into the output folder, by name: a file edited by
        /// hand (or deleted) since makes the recipe run again.
        public var outputs: [String: String]?
        /// The first figure it showed (`images/…`), the gallery's thumbnail.
        public var firstFigure: String?

        /// Whether every file it wrote is still in `outputDirectory` with the same content.
        func outputsUnchanged(in outputDirectory: String) -> Bool {
            guard let outputs, !outputs.isEmpty else { return false }
            return outputs.allSatisfy { name, hash in
                let path = (outputDirectory as NSString).appendingPathComponent(name)
                return FileManager.default.contents(atPath: path).map { SHA256Digest.hex($0) } == hash
            }
        }
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

    /// The manifest as the text of its file (sorted keys, so it diffs well).
    public func text() throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        return String(decoding: try encoder.encode(self), as: UTF8.self) + "\n"
    }

    /// The entry that lets `name` be skipped for this key, if any.
    func reusableEntry(name: String, sourceHash: String, buildIdentity: String, toolchain: String,
                       includeTimes: Bool) -> Entry? {
        guard let e = recipes[name], e.status == .passed, e.sourceHash == sourceHash,
              e.buildIdentity == buildIdentity, e.toolchain == toolchain, e.includeTimes == includeTimes else { return nil }
        return e
    }
}
