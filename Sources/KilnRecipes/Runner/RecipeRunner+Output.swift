import Foundation
import Kiln

/// Writing into the output folder: every failure becomes an `.output` ``RecipeError`` naming the
/// file, whatever the writer threw, so none is lost.
extension RecipeRunner {
    /// A path inside the output folder.
    func outputPath(_ name: String) -> String {
        (options.outputDirectory as NSString).appendingPathComponent(name)
    }

    /// Writes `files` into the output folder as one set (an interrupt waits for the set; see
    /// ``OutputGate``) with `write` (atomic by default); returns the failures.
    func writeFiles(_ files: [(name: String, text: String)],
                    write: (String, String) throws -> Void = { try AtomicFile.write($0, to: $1) }) -> [RecipeError] {
        writeAll(files.map { ($0.name, $0.text) }, write: write)
    }

    /// Writes figure files (binary) into the output folder as one set; returns the failures.
    func writeFigures(_ files: [(name: String, data: Data)]) -> [RecipeError] {
        writeAll(files.map { ($0.name, $0.data) }) { try AtomicFile.write($0, to: $1) }
    }

    /// Removes the recipe's figures in the output folder that its documents no longer link
    /// (`current`): files of exactly the form `images/<recipe>_block<N>_<hash>.svg|png`, a name
    /// no recipe's own file may have (``OutputFileNames/isRunnerFile(_:)``), so an earlier run's
    /// figures go even when the cache manifest does not know them (a fresh clone).
    func removeStaleFigures(recipe name: String, current: Set<String>) {
        for old in figureFiles(of: name) where !current.contains(old) {
            try? FileManager.default.removeItem(atPath: outputPath(old))
        }
    }

    /// The figure files of recipe `name` in the output folder (`images/…`), sorted.
    func figureFiles(of name: String) -> [String] {
        let folder = OutputFileNames.figureFolder
        return ((try? FileManager.default.contentsOfDirectory(atPath: outputPath(folder))) ?? [])
            .map { folder + "/" + $0 }.filter { OutputFileNames.figureOwner($0) == name }.sorted()
    }

    private func writeAll<Content>(_ files: [(name: String, content: Content)],
                                   write: (Content, String) throws -> Void) -> [RecipeError] {
        OutputGate.withLock {
            files.compactMap { file in
                let path = outputPath(file.name)
                do {
                    try write(file.content, path)
                    return nil
                } catch {
                    return Self.outputError(error, path: path)
                }
            }
        }
    }

    /// `error` as the `.output` error of writing `path`: a ``RecipeError`` stays as it is, any
    /// other error is named with the file it failed.
    static func outputError(_ error: any Error, path: String) -> RecipeError {
        if let error = error as? RecipeError { return error }
        return RecipeError(.output, "cannot write \(path): \(error)",
                           suggestion: "Suggested fix: check that the output directory is writable and the disk is not full.")
    }

    /// Writes `index.md`, `index.html`, `execution_times.md` (and `.html`), the thumbnails
    /// (``GalleryThumbnail``), the cache manifest from the manifest's entries for recipes that
    /// still exist, and the pages whose navigation changed (``refreshedPages(_:)``); returns
    /// the write errors.
    func writeGallery(_ manifest: CacheManifest) -> [RecipeError] {
        var kept = manifest
        kept.recipes = manifest.recipes.filter { FileManager.default.fileExists(atPath: $0.value.path) }
        let figures = kept.recipes.compactMapValues { e in e.firstFigure.flatMap { FileManager.default.contents(atPath: outputPath($0)) } }
        let rows = kept.recipes.map { name, e in
            GalleryRenderer.Row(path: e.path, name: name, title: e.title, status: e.status, seconds: e.seconds,
                                hasFigure: figures[name] != nil)
        }
        var files = refreshedPages(&kept) + galleryFiles(rows)
        for name in kept.recipes.keys.sorted() {
            if let figure = figures[name] {
                files.append((GalleryThumbnail.name(recipe: name), GalleryThumbnail.svg(figure: figure)))
            } else {
                try? FileManager.default.removeItem(atPath: outputPath(GalleryThumbnail.name(recipe: name)))
            }
        }
        do {
            files.append((CacheManifest.fileName, try kept.text()))
        } catch {
            return writeFiles(files) + [Self.outputError(error, path: outputPath(CacheManifest.fileName))]
        }
        return writeFiles(files)
    }

    /// The gallery's files for `rows`, by name.
    func galleryFiles(_ rows: [GalleryRenderer.Row]) -> [(name: String, text: String)] {
        let gallery = GalleryRenderer(includeTimes: options.includeTimes)
        return [
            (OutputFileNames.index, gallery.index(rows)),
            (OutputFileNames.indexHTML, HTMLPage.render(markdown: gallery.index(rows, linkExtension: "html"), title: "Recipes")),
            (OutputFileNames.executionTimes, gallery.executionTimes(rows)),
            (OutputFileNames.executionTimesHTML,
             HTMLPage.render(markdown: gallery.executionTimes(rows, linkExtension: "html"), title: "Execution times")),
            (OutputFileNames.placeholder, GalleryThumbnail.placeholder),
        ]
    }
}
