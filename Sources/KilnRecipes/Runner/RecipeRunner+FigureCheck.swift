import Foundation

extension RecipeRunner {
    /// `verify --check` of a recipe's figures. A figure of a deterministic block must be in the
    /// output folder byte for byte (its name carries its content's hash, so a changed figure is
    /// a missing file). A `nondeterministic` block's figures (charts of timings) differ on every
    /// run, as its text does: they are not compared, but every figure the committed document
    /// links must exist, so the committed pages never show a broken image.
    func compareFigures(_ execution: RecipeExecution, into report: inout RecipeReport) {
        let names = OutputFileNames(name: execution.recipe.name)
        func stale(_ path: String, _ difference: String) {
            report.staleFiles.append(path)
            report.staleDifference = report.staleDifference ?? difference
        }
        for result in execution.blocks where !result.block.options.nondeterministic {
            for figure in DisplayMarkdown.figures(for: result, names: names) {
                let path = outputPath(figure.name)
                guard let committed = FileManager.default.contents(atPath: path) else {
                    stale(path, "  \(path): no such file (block \(result.block.index + 1) shows it)")
                    continue
                }
                if committed != figure.data { stale(path, "  \(path) differs from a fresh run") }
            }
        }
        if let document = FileManager.default.contents(atPath: outputPath(names.document)) {
            let links = Self.figureLinks(in: String(decoding: document, as: UTF8.self))
            for link in links where !FileManager.default.fileExists(atPath: outputPath(link)) {
                stale(outputPath(link), "  \(outputPath(names.document)) links \(link), which is not in \(options.outputDirectory)")
            }
            // A figure an earlier run left: `kiln run` would remove it.
            for file in figureFiles(of: names.name) where !links.contains(file) {
                stale(outputPath(file), "  \(outputPath(file)) is a figure of \(names.name) that \(outputPath(names.document)) no longer links")
            }
        }
        report.stale = !report.staleFiles.isEmpty
    }

    /// The figure files (`images/…`) a document's image links name, in order.
    static func figureLinks(in document: String) -> [String] {
        let pattern = #"\]\((\#(OutputFileNames.figureFolder)/[^)\s]+)\)"#
        guard let regex = try? NSRegularExpression(pattern: pattern) else { return [] }
        return regex.matches(in: document, range: NSRange(document.startIndex..., in: document)).compactMap {
            Range($0.range(at: 1), in: document).map { String(document[$0]) }
        }
    }
}
