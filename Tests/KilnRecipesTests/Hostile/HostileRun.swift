import Foundation
import Testing
@testable import KilnRecipes

/// One run of the recipe runner over a folder of hostile recipes, shared by the hostile suites.
///
/// Every recipe costs a `swiftc` compile (~1 s), so all of them run once, together, with
/// `jobs: 2` (a failure stops only its own recipe, so batching recipes does not blur what each
/// test asserts: each test reads its own recipe's report and documents).
///
/// Before the run, `output/` is seeded with a sentinel document for every recipe
/// (`previous document of x`) and with the documents of a recipe that is not part of the run
/// (`earlier.md`, `earlier.html`): after it, the earlier documents must be byte for byte the
/// same, an invalid recipe must keep its sentinel, and a failed recipe's document must be
/// regenerated with the failure in place (the runner's design: a document tells the truth
/// about its recipe).
final class HostileRun: @unchecked Sendable {
    /// The shared run, or nil when the build or swiftc is missing (the suites are then disabled).
    static let shared: HostileRun? = TestEnvironment.canExecute ? HostileRun() : nil

    let root = TestEnvironment.temporaryDirectory()
    var recipes: String { root + "/recipes" }
    var output: String { root + "/output" }
    /// A random argument of the `sleep` commands the recipes start, to find survivors by
    /// command line (pids may be reused).
    let sleepToken = "1000.\(UInt32.random(in: 1_000_000...9_999_999))"
    private(set) var summary: RunSummary!
    /// What the run threw, if it did (every test then fails saying so).
    private(set) var runError: String?
    /// The seeded `output/` files that belong to no recipe of the run, with their contents.
    let earlier = ["earlier.md": "# Earlier\n\nA document from an earlier run.\n", "earlier.html": "<p>earlier</p>\n"]

    private init() {
        let fm = FileManager.default
        try! fm.createDirectory(atPath: recipes, withIntermediateDirectories: true)
        try! fm.createDirectory(atPath: output, withIntermediateDirectories: true)
        for (name, data) in HostileRecipes.all(sleepToken: sleepToken) {
            try! data.write(to: URL(fileURLWithPath: recipes + "/" + name))
            let stem = String(name.dropLast(3))
            try! "previous document of \(stem)\n".write(toFile: output + "/" + stem + ".md", atomically: true, encoding: .utf8)
        }
        for (name, text) in earlier { try! text.write(toFile: output + "/" + name, atomically: true, encoding: .utf8) }

        var options = TestEnvironment.runOptions(output: output, identity: "hostile")
        options.jobs = 2
        options.timeout = 60
        do {
            summary = try RecipeRunner(options).run([recipes])
        } catch {
            runError = "\(error)"
            summary = RunSummary(recipes: [], discovered: 0, outputErrors: [], seconds: 0)
        }
    }

    deinit { try? FileManager.default.removeItem(atPath: root) }

    /// The report of `recipes/<stem>.md`.
    func report(_ stem: String) -> RecipeReport {
        summary.recipes.first { $0.name == stem }
            ?? RecipeReport(path: path(stem), name: stem, title: stem, status: .invalid, cached: false, seconds: 0,
                            failure: "not run: \(runError ?? "missing from the summary")")
    }

    /// The exit code `kiln run` gives when this recipe is the only one run.
    func exitCode(_ stem: String) -> Int32 {
        RunSummary(recipes: [report(stem)], discovered: 1, outputErrors: [], seconds: 0).exitCode
    }

    /// `output/<name>`, if it exists.
    func read(_ name: String) -> String? {
        FileManager.default.contents(atPath: output + "/" + name).map { String(decoding: $0, as: UTF8.self) }
    }

    /// The path of a recipe as the runner names it in messages.
    func path(_ stem: String) -> String { recipes + "/" + stem + ".md" }

    /// Checks what every hostile case must keep: the earlier documents byte for byte, no
    /// temporary file in `output/`, and for `stem` its sentinel (`kept`) or a whole regenerated
    /// document (the generated header first, the download links last).
    func expectNothingLost(_ stem: String, kept: Bool, sourceLocation: SourceLocation = #_sourceLocation) {
        for (name, text) in earlier {
            #expect(read(name) == text, "output/\(name) changed", sourceLocation: sourceLocation)
        }
        let leftovers = ((try? FileManager.default.contentsOfDirectory(atPath: output)) ?? []).filter { $0.contains(".tmp-") }
        #expect(leftovers.isEmpty, "temporary files left: \(leftovers)", sourceLocation: sourceLocation)
        let document = read(stem + ".md") ?? ""
        if kept {
            #expect(document == "previous document of \(stem)\n", sourceLocation: sourceLocation)
            #expect(read(stem + ".html") == nil && read(stem + ".source.md") == nil, sourceLocation: sourceLocation)
        } else {
            #expect(document.hasPrefix("<!-- generated from \(path(stem)) by kiln run; do not edit -->\n"), sourceLocation: sourceLocation)
            #expect(document.hasSuffix("[Download Jupyter notebook: \(stem).ipynb](\(stem).ipynb)\n"), sourceLocation: sourceLocation)
            #expect(read(stem + ".source.md") == (try? String(contentsOfFile: path(stem), encoding: .utf8)), sourceLocation: sourceLocation)
        }
    }

    /// Processes still running whose command line holds `sleepToken`, as `pid: cmdline`.
    func survivingSleeps() -> [String] {
        let fm = FileManager.default
        return ((try? fm.contentsOfDirectory(atPath: "/proc")) ?? []).compactMap { entry -> String? in
            guard Int32(entry) != nil, let data = fm.contents(atPath: "/proc/\(entry)/cmdline"),
                  String(decoding: data, as: UTF8.self).contains(sleepToken) else { return nil }
            let stat = (try? String(contentsOfFile: "/proc/\(entry)/stat", encoding: .utf8)) ?? ""
            if stat.isEmpty || stat.contains(") Z ") { return nil }  // gone, or a zombie awaiting its reaper
            return "\(entry): " + String(decoding: data.map { $0 == 0 ? 32 : $0 }, as: UTF8.self)
        }
    }
}
