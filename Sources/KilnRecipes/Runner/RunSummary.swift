import Kiln

/// What happened to one recipe in a run.
public struct RecipeReport: Sendable {
    /// How the recipe ended.
    public typealias Status = RecipeStatus

    /// The recipe path as given (`recipes/x.md`).
    public var path: String
    /// Its output stem (`x`).
    public var name: String
    /// Its title.
    public var title: String
    /// How it ended.
    public var status: Status
    /// True when it was skipped because the cache said its document is up to date.
    public var cached: Bool
    /// Its running time (the recorded one for a cached recipe).
    public var seconds: Double
    /// `recipes/x.md:LINE: reason` for a failure, or the parse error.
    public var failure: String?
    /// The first figure it showed (`images/…`), the gallery's thumbnail.
    public var firstFigure: String?
    /// The execution, when the recipe ran in this run.
    public var execution: RecipeExecution?
    /// True when `verify --check` found one of its files in the output folder out of date.
    public var stale = false
    /// Its files in the output folder that are out of date (`verify --check`).
    public var staleFiles: [String] = []
    /// For a stale recipe, its first difference: committed vs. fresh.
    public var staleDifference: String?
}

/// The outcome of ``RecipeRunner/run(_:)`` or ``RecipeRunner/verify(_:junit:check:)``.
public struct RunSummary: Sendable {
    /// One report per selected recipe, in path order.
    public var recipes: [RecipeReport]
    /// Recipes found before `filter` was applied.
    public var discovered: Int
    /// Output files that could not be written.
    public var outputErrors: [RecipeError]
    /// Wall time of the whole run in seconds.
    public var seconds: Double
    /// The output folder documents went to or were compared with (`--output`).
    public var outputDirectory = "output"
    /// Gallery files in the output folder that are out of date (`verify --check`), by path,
    /// with their first difference.
    public var staleGallery: [(path: String, difference: String)] = []

    /// Recipes that ran in this run.
    public var executed: Int { recipes.filter { !$0.cached && $0.status != .invalid }.count }
    /// Recipes skipped thanks to the cache.
    public var cached: Int { recipes.filter(\.cached).count }
    /// Recipes that failed or could not be parsed.
    public var failures: [RecipeReport] { recipes.filter { $0.status != .passed } }
    /// Recipes whose document in `output/` is out of date (`verify --check`).
    public var stale: [RecipeReport] { recipes.filter(\.stale) }

    /// The failure class deciding the exit code, or nil when all is well. Priority: `.output`
    /// (unwritable output), `.recipe` (a block failed), `.badInput` (a malformed recipe),
    /// `.stale` (`--check` found old documents).
    public var failureClass: FailureClass? {
        if !outputErrors.isEmpty { return .output }
        if recipes.contains(where: { $0.status == .failed }) { return .recipe }
        if recipes.contains(where: { $0.status == .invalid }) { return .badInput }
        if !stale.isEmpty || !staleGallery.isEmpty { return .stale }
        return nil
    }

    /// The process exit code: 0, or the failure class's code.
    public var exitCode: Int32 { failureClass?.exitCode ?? 0 }

    /// The error to report when the run did not succeed.
    public var error: RecipeError? {
        guard let failureClass else { return nil }
        let staleRecipe: String? = stale.first.map { r in "\(r.path): \(r.staleFiles.first ?? r.name) is stale" }
        let staleFile: String? = staleGallery.first.map { g in "\(g.path) is stale" }
        let first: String = outputErrors.first?.message ?? failures.first?.failure ?? staleRecipe ?? staleFile ?? ""
        let fix: String
        switch failureClass {
        case .stale: fix = "Suggested fix: run `kiln run` (or `make run`) and commit \(outputDirectory)/."
        case .badInput: fix = "Suggested fix: correct the recipe at the line shown."
        case .output: fix = outputErrors.first?.suggestion ?? "Suggested fix: check the output directory."
        default: fix = "Suggested fix: fix the block at the line shown, or mark it `expect-error` if it must fail."
        }
        return RecipeError(failureClass, first, suggestion: fix)
    }

    /// A plain-text summary: counts, then one line per failure and stale document.
    public var text: String {
        var lines = ["Executed \(executed) of \(discovered) recipes (\(cached) cached, \(failures.count) failed) in \(formatSeconds(seconds)) s."]
        for f in failures {
            lines.append("FAILED \(f.failure ?? f.path)")
        }
        for s in stale {
            let files = s.staleFiles.joined(separator: ", ")
            lines.append("STALE \(s.path): \(files) \(s.staleFiles.count == 1 ? "differs" : "differ") from a fresh run"
                         + (s.staleDifference.map { ":\n" + $0 } ?? ""))
        }
        for g in staleGallery {
            lines.append("STALE \(g.path) differs from a fresh run:\n" + g.difference)
        }
        for e in outputErrors {
            lines.append("ERROR \(e.message)")
        }
        return lines.joined(separator: "\n")
    }
}
