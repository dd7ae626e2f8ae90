import Foundation
import Kiln

/// One recipe's way through a run, stage by stage: load, look up the cache, execute (with
/// progress events), render its files, then write them and record the run (`kiln run`) or
/// compare them with the output folder (`kiln verify --check`).
extension RecipeRunner {
    /// Runs (or skips) one recipe and writes or checks its documents.
    func process(_ path: String, context: RunContext) -> RecipeReport {
        let recipe: Recipe
        let assets: [RecipeAsset]
        do {
            recipe = try Recipe.load(path: path).injecting(options.parameters)
            assets = try RecipeAssets.find(in: recipe)
        } catch {
            return invalid(path, error, context: context)
        }
        // Copied whatever the cache says: an asset can change while its recipe does not.
        if context.mode.writes { context.outputErrors.withLock { $0 += copyAssets(assets) } }
        let key = cacheKey(for: recipe, context: context)
        if let cached = cachedReport(recipe, key: key, context: context) { return cached }

        let execution = execute(recipe, context: context)
        var report = RecipeReport(path: recipe.path, name: recipe.name, title: recipe.title,
                                  status: execution.passed ? .passed : .failed, cached: false,
                                  seconds: execution.seconds, failure: execution.failureDescription, execution: execution)
        let navigation = PageNavigation.of(recipe.name, in: context.gallery)
        let files = renderFiles(execution, navigation: navigation)
        let figures = DocumentRenderer().figures(for: execution)
        report.firstFigure = figures.first?.name
        switch context.mode {
        case .run:
            // Figures first: a reader of the new document finds its images in place.
            context.outputErrors.withLock { $0 += writeFigures(figures) + writeFiles(files) }
            removeStaleFigures(recipe: recipe.name, current: Set(figures.map(\.name)))
            record(report, key: key, files: files, figures: figures, context: context)
        case .verify(let check):
            if check && execution.passed {
                compare(files, title: recipe.title, navigation: navigation, into: &report)
                compareFigures(execution, into: &report)
                compareAssets(assets, into: &report)
            }
        }
        return report
    }

    /// The report of a recipe that cannot be loaded; `kiln run` records it for the gallery.
    private func invalid(_ path: String, _ error: any Error, context: RunContext) -> RecipeReport {
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

    /// What a recipe's documents depend on besides its results.
    struct CacheKey {
        var sourceHash: String
        var buildIdentity: String
        var toolchain: String
        var includeTimes: Bool
    }

    private func cacheKey(for recipe: Recipe, context: RunContext) -> CacheKey {
        // Parameters change what the recipe computes: they are part of its source for the cache.
        let parameters = recipe.injectedParameters.sorted { $0.key < $1.key }.map { "\n-p \($0.key)=\($0.value)" }.joined()
        return CacheKey(sourceHash: SHA256Digest.hex(recipe.source + parameters), buildIdentity: context.buildIdentity,
                 toolchain: context.executor.toolchain.version, includeTimes: options.includeTimes)
    }

    /// The report of a recipe the cache lets `kiln run` skip, or nil when it must run.
    private func cachedReport(_ recipe: Recipe, key: CacheKey, context: RunContext) -> RecipeReport? {
        guard context.mode.writes && !options.force,
              let entry = context.manifest.withLock({ $0.reusableEntry(
                  name: recipe.name, sourceHash: key.sourceHash, buildIdentity: key.buildIdentity,
                  toolchain: key.toolchain, includeTimes: key.includeTimes) }),
              entry.outputsUnchanged(in: options.outputDirectory) else { return nil }
        var report = RecipeReport(path: recipe.path, name: recipe.name, title: recipe.title, status: .passed, cached: true,
                                  seconds: entry.seconds)
        report.firstFigure = entry.firstFigure
        return report
    }

    /// Runs the recipe, turning the executor's events into run events numbered among its
    /// runnable blocks.
    private func execute(_ recipe: Recipe, context: RunContext) -> RecipeExecution {
        let path = recipe.path
        let runnable = recipe.runnableBlocks
        let position = Dictionary(uniqueKeysWithValues: runnable.enumerated().map { ($1.index, $0 + 1) })
        return context.executor.execute(recipe) { event in
            switch event {
            case .compiling:
                emit(.compiling(path: path))
            case .blockStarted(let block):
                emit(.blockStarted(path: path, block: position[block.index] ?? 0, of: runnable.count, line: block.fenceLines.lowerBound))
            case .blockFinished(let result):
                emit(.blockFinished(path: path, block: position[result.block.index] ?? 0, of: runnable.count, result: result))
            }
        }
    }

    /// The recipe's files in the output folder, by name, in writing order (``OutputFileNames/all``).
    func renderFiles(_ execution: RecipeExecution, navigation: PageNavigation? = nil) -> [(name: String, text: String)] {
        let recipe = execution.recipe
        let names = OutputFileNames(name: recipe.name)
        let document = DocumentRenderer(includeTimes: options.includeTimes).markdown(for: execution)
        let text = [
            names.source: recipe.source,
            names.swift: StandaloneSwift.source(for: recipe),
            names.notebook: NotebookRenderer.notebook(for: execution),
            names.document: document,
            names.html: HTMLPage.render(markdown: document, title: recipe.title, navigation: navigation),
        ]
        return names.all.map { ($0, text[$0]!) }
    }

    /// Records the run in the cache manifest (for the next run and the gallery).
    private func record(_ report: RecipeReport, key: CacheKey, files: [(name: String, text: String)],
                        figures: [(name: String, data: Data)], context: RunContext) {
        let outputs = Dictionary(uniqueKeysWithValues: files.map { ($0.name, SHA256Digest.hex($0.text)) }
                                     + figures.map { ($0.name, SHA256Digest.hex($0.data)) })
        context.manifest.withLock {
            $0.recipes[report.name] = .init(
                path: report.path, title: report.title, sourceHash: key.sourceHash, buildIdentity: key.buildIdentity,
                toolchain: key.toolchain, includeTimes: key.includeTimes, status: report.status,
                seconds: report.seconds, failure: report.failure, outputs: outputs, firstFigure: report.firstFigure)
        }
    }

    /// Marks the report stale when a committed file differs from the fresh one: the document
    /// once normalised (times and `nondeterministic` outputs ignored), its HTML from the
    /// committed document's rendering (so it follows the document's times), the Swift and
    /// source copies byte for byte. The first difference is kept for the message.
    private func compare(_ files: [(name: String, text: String)], title: String, navigation: PageNavigation,
                         into report: inout RecipeReport) {
        let names = OutputFileNames(name: report.name)
        let committed = { (name: String) in
            FileManager.default.contents(atPath: self.outputPath(name)).map { String(decoding: $0, as: UTF8.self) }
        }
        let document = committed(names.document)
        for (name, fresh) in files {
            let path = outputPath(name)
            guard let existing = committed(name) else {
                report.staleFiles.append(path)
                report.staleDifference = report.staleDifference ?? "  \(path): no such file"
                continue
            }
            let difference: String?
            switch name {
            case names.document:
                difference = DocumentNormalizer.firstDifference(committed: existing, fresh: fresh)
            case names.notebook:
                difference = NotebookNormalizer.firstDifference(committed: existing, fresh: fresh)
            case names.html:
                let expected = document.map { HTMLPage.render(markdown: $0, title: title, navigation: navigation) } ?? fresh
                difference = existing == expected ? nil : "  \(path) is not the rendering of \(outputPath(names.document))"
            default:
                difference = existing == fresh ? nil : DocumentNormalizer.firstDifference(committed: existing, fresh: fresh)
                    ?? "  \(path) differs from a fresh run"
            }
            if let difference {
                report.staleFiles.append(path)
                report.staleDifference = report.staleDifference ?? difference
            }
        }
        report.stale = !report.staleFiles.isEmpty
    }
}
