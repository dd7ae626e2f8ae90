import Foundation

extension RecipeRunner {
    /// `verify --check` of the gallery: its files in the output folder against the gallery of
    /// this run's recipes, times aside (their values, and the order of `execution_times.md`'s
    /// rows, which follows them). Returns the stale files' paths with their first difference.
    func checkGallery(_ reports: [RecipeReport]) -> [(path: String, difference: String)] {
        let rows = reports.map {
            GalleryRenderer.Row(path: $0.path, name: $0.name, title: $0.title, status: $0.status, seconds: $0.seconds,
                                hasFigure: $0.firstFigure != nil)
        }
        return galleryFiles(rows).compactMap { name, fresh in
            let path = outputPath(name)
            guard let data = FileManager.default.contents(atPath: path) else { return (path, "  committed: (no such file)") }
            let committed = String(decoding: data, as: UTF8.self)
            let sorted = name == OutputFileNames.executionTimes || name == OutputFileNames.executionTimesHTML
            let a = Self.withoutTimes(committed, sorted: sorted)
            let b = Self.withoutTimes(fresh, sorted: sorted)
            guard a != b else { return nil }
            return (path, DocumentNormalizer.firstDifference(committed: a, fresh: b) ?? "  \(path) differs")
        }
    }

    /// `text` with every time (`12.345 s`) replaced by `<time> s`; its lines sorted when the
    /// order follows the times.
    static func withoutTimes(_ text: String, sorted: Bool) -> String {
        let plain = text.replacingOccurrences(of: #"\b[0-9]+\.[0-9]{3} s\b"#, with: "<time> s", options: .regularExpression)
        guard sorted else { return plain }
        return plain.split(separator: "\n", omittingEmptySubsequences: false).sorted().joined(separator: "\n")
    }
}
