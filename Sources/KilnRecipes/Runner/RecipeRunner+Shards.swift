import Foundation
import Kiln

/// Sharded runs (`kiln run --shard i/n`) and `kiln gallery merge`.
extension RecipeRunner {
    /// Running times the cache manifest recorded, by recipe path: what ``Shard`` balances by.
    func recordedSeconds() -> [String: Double] {
        let entries = CacheManifest.load(outputDirectory: options.outputDirectory).recipes.values
        return Dictionary(entries.map { ($0.path, $0.seconds) }, uniquingKeysWith: max)
    }

    /// Writes `output/.shards/i-of-n.json` with the entries of this shard's `recipes`; the
    /// cache manifest and the gallery stay as they were (every shard must split by the same
    /// recorded times). Returns the write errors.
    func writeShardManifest(_ shard: Shard, recipes: [String], _ manifest: CacheManifest) -> [RecipeError] {
        let names = Set(recipes.map { OutputFileNames.recipeName(path: $0) })
        let mine = ShardManifest(shard: shard, recipes: manifest.recipes.filter { names.contains($0.key) })
        let name = Shard.folder + "/" + shard.manifestName
        do {
            try FileManager.default.createDirectory(atPath: outputPath(Shard.folder), withIntermediateDirectories: true)
            return writeFiles([(name, try mine.text())])
        } catch {
            return [Self.outputError(error, path: outputPath(name))]
        }
    }

    /// Assembles the gallery in the output folder from the shard outputs in `folders` (each an
    /// output folder of `kiln run --shard i/n`, the output folder itself included): copies each
    /// recipe's files into the output folder, merges the shards' entries into the cache
    /// manifest and writes `index.md`, `index.html` and `execution_times.md`. The merged shard
    /// manifests in the output folder are removed. Returns the recipes' count.
    ///
    /// Throws a `.badInput` ``RecipeError`` unless the shards are one complete set (`1/n` …
    /// `n/n`, each once, no recipe in two) and every file is as its shard recorded it.
    @discardableResult
    public func mergeShards(_ folders: [String]) throws -> Int {
        var shards: [(folder: String, file: String, manifest: ShardManifest)] = []
        for folder in folders {
            let dir = (folder as NSString).appendingPathComponent(Shard.folder)
            let files = ((try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []).filter { $0.hasSuffix(".json") }.sorted()
            guard !files.isEmpty else {
                throw RecipeError(.badInput, "\(folder): no shard manifests in \(dir)",
                                  suggestion: "Suggested fix: pass the output folders of `kiln run --shard i/n` (each holds .shards/i-of-n.json).")
            }
            for file in files {
                let path = (dir as NSString).appendingPathComponent(file)
                guard let data = FileManager.default.contents(atPath: path),
                      let manifest = try? JSONDecoder().decode(ShardManifest.self, from: data),
                      manifest.version == 1, Shard(manifest.shard) != nil else {
                    throw RecipeError(.badInput, "\(path): not a shard manifest of this Kiln",
                                      suggestion: "Suggested fix: rerun that shard with this Kiln (`kiln run --shard i/n`).")
                }
                shards.append((folder, path, manifest))
            }
        }
        try checkComplete(shards.map { ($0.file, Shard($0.manifest.shard)!) })

        var merged = CacheManifest.load(outputDirectory: options.outputDirectory)
        var origin: [String: String] = [:]
        for shard in shards {
            for (name, entry) in shard.manifest.recipes {
                if let other = origin[name] {
                    throw RecipeError(.badInput, "\(shard.file): recipe \(entry.path) is also in \(other)",
                                      suggestion: "Suggested fix: merge the shards of one round only (run every shard with the same --shard n and the same output/).")
                }
                origin[name] = shard.file
                try copyOutputs(of: entry, from: shard.folder)
                merged.recipes[name] = entry
            }
        }
        let errors = writeGallery(merged)
        if let first = errors.first { throw first }
        for shard in shards where Self.sameFolder(shard.folder, options.outputDirectory) {
            try? FileManager.default.removeItem(atPath: shard.file)
        }
        try? FileManager.default.removeItem(atPath: outputPath(Shard.folder))  // only when empty
        return origin.count
    }

    /// Throws unless `shards` are exactly `1/n` … `n/n` for one n.
    private func checkComplete(_ shards: [(file: String, shard: Shard)]) throws {
        let counts = Set(shards.map(\.shard.count))
        guard counts.count == 1, let n = counts.first else {
            throw RecipeError(.badInput, "the shard manifests split the recipes in different ways: \(shards.map { "\($0.file) (\($0.shard))" }.joined(separator: ", "))",
                              suggestion: "Suggested fix: merge the shards of one round only, all run with the same --shard …/n.")
        }
        var seen: [Int: String] = [:]
        for s in shards {
            if let other = seen[s.shard.index] {
                throw RecipeError(.badInput, "shard \(s.shard) is in both \(other) and \(s.file)",
                                  suggestion: "Suggested fix: pass each shard's output folder once.")
            }
            seen[s.shard.index] = s.file
        }
        let missing = (1...n).filter { seen[$0] == nil }
        guard missing.isEmpty else {
            throw RecipeError(.badInput, "shard\(missing.count == 1 ? "" : "s") \(missing.map { "\($0)/\(n)" }.joined(separator: ", ")) missing: the gallery would lack their recipes",
                              suggestion: "Suggested fix: run `kiln run --shard \(missing[0])/\(n)` and pass its output folder too.")
        }
    }

    /// Copies the files `entry` records from `folder` into the output folder, checking each
    /// against its recorded hash.
    private func copyOutputs(of entry: CacheManifest.Entry, from folder: String) throws {
        for (name, hash) in (entry.outputs ?? [:]).sorted(by: { $0.key < $1.key }) {
            let source = (folder as NSString).appendingPathComponent(name)
            guard let data = FileManager.default.contents(atPath: source), SHA256Digest.hex(data) == hash else {
                throw RecipeError(.badInput, "\(source): missing or changed since its shard wrote it (\(entry.path))",
                                  suggestion: "Suggested fix: rerun that recipe's shard and merge its fresh output folder.")
            }
            if !Self.sameFolder(folder, options.outputDirectory) {
                let errors = writeFiles([(name, "")]) { _, path in try AtomicFile.write(data, to: path) }
                if let first = errors.first { throw first }
            }
        }
    }

    /// Whether two paths name the same folder.
    static func sameFolder(_ a: String, _ b: String) -> Bool {
        URL(fileURLWithPath: a).standardizedFileURL.resolvingSymlinksInPath().path
            == URL(fileURLWithPath: b).standardizedFileURL.resolvingSymlinksInPath().path
    }
}
