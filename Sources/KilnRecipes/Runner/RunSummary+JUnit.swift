extension RunSummary {
    /// The recipes as JUnit test cases (``JUnitReport``): a failed or invalid recipe fails with
    /// its failing block's output and details, a stale one with type `stale`.
    public var junitCases: [JUnitReport.TestCase] {
        recipes.map { r in
            var failure: JUnitReport.Failure?
            if r.status != .passed {
                var details = r.failure ?? ""
                if let f = r.execution?.failure, case .failed(let reason) = f.status {
                    details = reason.details
                    if !f.output.isEmpty { details = "Output:\n" + f.output + "\n" + details }
                }
                failure = .init(type: r.status == .invalid ? "invalid recipe" : "block failed", message: r.failure ?? r.path, text: details)
            } else if r.stale {
                failure = .init(type: "stale", message: "\(r.path): \(r.staleFiles.joined(separator: ", ")) out of date",
                                text: "Run `kiln run` and commit \(outputDirectory)/.")
            }
            return JUnitReport.TestCase(path: r.path, seconds: r.seconds, failure: failure)
        } + staleGallery.map { g in
            JUnitReport.TestCase(path: g.path, seconds: 0, failure: .init(
                type: "stale", message: "\(g.path) out of date", text: "Run `kiln run` and commit \(outputDirectory)/."))
        }
    }
}
