import Foundation
import Kiln

/// The site around the documents: the gallery order the pages' previous/next links follow,
/// and the recipes' assets copied into (or checked against) the output folder.
extension RecipeRunner {
    /// The gallery's recipes (name, title) in the index's order (by recipe path).
    ///
    /// `kiln run` lists what its index will: the recipes recorded in the cache manifest whose
    /// files still exist, and the recipes of this run. `kiln verify` lists every discovered
    /// recipe (not only those `--filter` selects), so a filtered check sees the same links.
    func galleryOrder(discovered: [String], selected: [String], manifest: CacheManifest,
                      mode: Mode) -> [(name: String, title: String)] {
        var byName: [String: (path: String, title: String)] = [:]
        if mode.writes {
            for (name, entry) in manifest.recipes where FileManager.default.fileExists(atPath: entry.path) {
                byName[name] = (entry.path, entry.title)
            }
        }
        for path in mode.writes ? selected : discovered {
            let name = OutputFileNames.recipeName(path: path)
            let title = (try? Recipe.load(path: path))?.title ?? byName[name]?.title ?? name
            byName[name] = (path, title)
        }
        return byName.sorted { $0.value.path < $1.value.path }.map { ($0.key, $0.value.title) }
    }

    /// Throws `.badInput` when two of the recipes at `paths` would copy different files to one
    /// path of the output folder (`a/img/x.png` and `b/img/x.png`: the output folder is flat),
    /// before any recipe runs: each run would replace the other's figure.
    func checkAssetCollisions(_ paths: [String]) throws {
        var owner: [String: (recipe: String, source: String)] = [:]
        for path in paths {
            // A recipe that cannot be loaded, or refers to a file it may not, is reported as invalid when it is processed.
            guard let recipe = try? Recipe.load(path: path), let assets = try? RecipeAssets.find(in: recipe) else { continue }
            for asset in assets {
                if let other = owner[asset.relativePath], other.source != asset.sourcePath,
                   FileManager.default.contents(atPath: other.source) != FileManager.default.contents(atPath: asset.sourcePath) {
                    throw RecipeError(.badInput, "\(other.recipe) and \(path) would both write output/\(asset.relativePath), "
                                      + "from different files (\(other.source), \(asset.sourcePath))",
                                      suggestion: "Suggested fix: rename one of the files (or make them the same file).")
                }
                owner[asset.relativePath] = (path, asset.sourcePath)
            }
        }
    }

    /// Copies `assets` into the output folder where the copy is missing or differs; returns
    /// the write errors.
    func copyAssets(_ assets: [RecipeAsset]) -> [RecipeError] {
        assets.compactMap { asset -> RecipeError? in
            let destination = outputPath(asset.relativePath)
            guard let data = FileManager.default.contents(atPath: asset.sourcePath) else {
                return RecipeError(.badInput, "\(asset.sourcePath): cannot read it (referred to at line \(asset.line))",
                                   suggestion: "Suggested fix: check the file's permissions.")
            }
            guard FileManager.default.contents(atPath: destination) != data else { return nil }
            do {
                try OutputGate.withLock { try AtomicFile.write(data, to: destination) }
                return nil
            } catch {
                return Self.outputError(error, path: destination)
            }
        }
    }

    /// `verify --check`: marks the report stale when an asset's copy in the output folder is
    /// missing or differs from the recipe's file.
    func compareAssets(_ assets: [RecipeAsset], into report: inout RecipeReport) {
        for asset in assets {
            let destination = outputPath(asset.relativePath)
            let copy = FileManager.default.contents(atPath: destination)
            guard copy == nil || copy != FileManager.default.contents(atPath: asset.sourcePath) else { continue }
            report.staleFiles.append(destination)
            report.staleDifference = report.staleDifference
                ?? "  \(destination) " + (copy == nil ? "is missing" : "differs from \(asset.sourcePath)")
            report.stale = true
        }
    }

    /// Renders every page of the gallery again from its document in the output folder with
    /// the final navigation, for the recipes this run skipped (cached) whose neighbours
    /// changed; returns the changed pages and records their new hashes in `manifest`.
    func refreshedPages(_ manifest: inout CacheManifest) -> [(name: String, text: String)] {
        let order = manifest.recipes.sorted { $0.value.path < $1.value.path }.map { (name: $0.key, title: $0.value.title) }
        var changed: [(name: String, text: String)] = []
        for (name, title) in order {
            let names = OutputFileNames(name: name)
            // Only pages this runner wrote: an invalid recipe's old document stays as it was.
            guard manifest.recipes[name]?.outputs?[names.html] != nil,
                  let data = FileManager.default.contents(atPath: outputPath(names.document)) else { continue }
            let page = HTMLPage.render(markdown: String(decoding: data, as: UTF8.self), title: title,
                                       navigation: PageNavigation.of(name, in: order))
            guard FileManager.default.contents(atPath: outputPath(names.html)) != Data(page.utf8) else { continue }
            changed.append((names.html, page))
            manifest.recipes[name]?.outputs?[names.html] = SHA256Digest.hex(page)
        }
        return changed
    }
}
