import Foundation
import Kiln

extension RecipeRunner {
    /// Runs (or skips) one recipe and writes or checks its documents.
    func process(_ path: String, context: RunContext) -> RecipeReport {
        let fm = FileManager.default
        let out = options.outputDirectory
        let recipe: Recipe
        do {
            recipe = try Recipe.load(path: path)
        } catch {
            let message = (error as? RecipeError)?.fullDescription ?? "\(path): \(error)"
            let name = OutputFileNames.recipeName(path: path)
            if context.mode.writes {
                context.manifest.withLock {
                    $0.recipes[name] = .init(path: path, title: $0.recipes[name]?.title ?? name, sourceHash: "",
                                             buildIdentity: "", toolchain: "", includeTimes: options.includeTimes,
                                             status: .invalid, seconds: 0, failure: message)
                }
            }
            return RecipeReport(path: path, name: name, title: name, status: .invalid, cached: false, seconds: 0, failure: message)
        }

        let names = OutputFileNames(name: recipe.name)
        let documentPath = (out as NSString).appendingPathComponent(names.document)
        let sourceHash = SHA256Digest.hex(recipe.source)
        let toolchain = context.executor.toolchain.version
        if context.mode.writes && !options.force,
           let entry = context.manifest.withLock({ $0.reusableEntry(
               name: recipe.name, sourceHash: sourceHash, buildIdentity: context.buildIdentity,
               toolchain: toolchain, includeTimes: options.includeTimes) }),
           fm.fileExists(atPath: documentPath) {
            return RecipeReport(path: path, name: recipe.name, title: recipe.title, status: .passed, cached: true,
                                seconds: entry.seconds)
        }

        let runnable = recipe.runnableBlocks
        let position = Dictionary(uniqueKeysWithValues: runnable.enumerated().map { ($1.index, $0 + 1) })
        let execution = context.executor.execute(recipe) { event in
            switch event {
            case .compiling:
                emit(.compiling(path: path))
            case .blockStarted(let block):
                emit(.blockStarted(path: path, block: position[block.index] ?? 0, of: runnable.count, line: block.fenceLines.lowerBound))
            case .blockFinished(let result):
                emit(.blockFinished(path: path, block: position[result.block.index] ?? 0, of: runnable.count, result: result))
            }
        }
        var report = RecipeReport(path: path, name: recipe.name, title: recipe.title,
                                  status: execution.passed ? .passed : .failed, cached: false,
                                  seconds: execution.seconds, failure: execution.failureDescription, execution: execution)

        let renderer = DocumentRenderer(includeTimes: options.includeTimes)
        let document = renderer.markdown(for: execution)
        switch context.mode {
        case .run:
            let files: [(String, String)] = [
                (names.source, recipe.source),
                (names.swift, StandaloneSwift.source(for: recipe)),
                (names.document, document),
                (names.html, HTMLPage.render(markdown: document, title: recipe.title)),
            ]
            // One recipe's files are written as a set: an interrupt waits for the set.
            OutputGate.withLock {
                for (name, text) in files {
                    do {
                        try AtomicFile.write(text, to: (out as NSString).appendingPathComponent(name))
                    } catch let error as RecipeError {
                        context.outputErrors.withLock { $0.append(error) }
                    } catch {}
                }
            }
            context.manifest.withLock {
                $0.recipes[recipe.name] = .init(
                    path: path, title: recipe.title, sourceHash: sourceHash, buildIdentity: context.buildIdentity,
                    toolchain: toolchain, includeTimes: options.includeTimes, status: report.status,
                    seconds: execution.seconds, failure: report.failure)
            }
        case .verify(let check):
            if check && execution.passed {
                let existing = fm.contents(atPath: documentPath).map { String(decoding: $0, as: UTF8.self) }
                if let existing {
                    report.staleDifference = DocumentNormalizer.firstDifference(committed: existing, fresh: document)
                    report.stale = report.staleDifference != nil
                } else {
                    report.stale = true
                    report.staleDifference = "  committed: (no such file)"
                }
            }
        }
        return report
    }

    /// Writes `index.md`, `index.html`, `execution_times.md` and the cache manifest from the
    /// manifest's entries for recipes that still exist; returns the write errors.
    func writeGallery(_ manifest: CacheManifest) -> [RecipeError] {
        let fm = FileManager.default
        var kept = manifest
        kept.recipes = manifest.recipes.filter { fm.fileExists(atPath: $0.value.path) }
        let rows = kept.recipes.map { name, e in
            GalleryRenderer.Row(path: e.path, name: name, title: e.title, status: e.status, seconds: e.seconds)
        }
        let gallery = GalleryRenderer(includeTimes: options.includeTimes)
        let out = options.outputDirectory
        var errors: [RecipeError] = []
        OutputGate.withLock {
            let files = [
                (OutputFileNames.index, gallery.index(rows)),
                (OutputFileNames.indexHTML, HTMLPage.render(markdown: gallery.index(rows, linkExtension: "html"), title: "Recipes")),
                (OutputFileNames.executionTimes, gallery.executionTimes(rows)),
            ]
            for (name, text) in files {
                do {
                    try AtomicFile.write(text, to: (out as NSString).appendingPathComponent(name))
                } catch let error as RecipeError {
                    errors.append(error)
                } catch {}
            }
            do {
                try kept.save(outputDirectory: out)
            } catch let error as RecipeError {
                errors.append(error)
            } catch {}
        }
        return errors
    }
}
