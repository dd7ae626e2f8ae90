import Foundation
import Testing
@testable import KilnRecipes

/// The site in a real browser (README "Recipes"): every page loads without a console error,
/// a failed load, a broken local link or an image that does not render. Screenshots go to
/// `.build/browser-screenshots/<test>/` for a look. Skipped, saying so, without chromium.
enum BrowserSupport {
    static let available: Bool = {
        if HeadlessChromium.executable == nil { print("Skipping browser tests: no chromium on PATH (apt-get install chromium)") }
        return HeadlessChromium.executable != nil
    }()

    static let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// A fresh screenshot folder for `test`.
    static func screenshots(_ test: String) throws -> String {
        let dir = packageRoot.appendingPathComponent(".build/browser-screenshots/\(test)").path
        try? FileManager.default.removeItem(atPath: dir)
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        return dir
    }

    /// Loads every `.html` file of `folder` and returns the reports.
    static func browse(_ folder: String, screenshots: String) throws -> [HeadlessChromium.PageReport] {
        let pages = try FileManager.default.contentsOfDirectory(atPath: folder).filter { $0.hasSuffix(".html") }.sorted()
        let browser = try HeadlessChromium(profile: TestEnvironment.temporaryDirectory())
        defer { browser.close() }
        return try pages.map { page in
            try browser.check(URL(fileURLWithPath: folder + "/" + page),
                              screenshot: screenshots + "/" + page.replacingOccurrences(of: ".html", with: ".png"))
        }
    }
}

/// The committed site and the checker itself.
@Suite(.enabled(if: BrowserSupport.available, "chromium is not installed (apt-get install chromium; CI installs it)"),
       .serialized)
struct BrowserTests {
    /// The repository's committed `output/`.
    @Test func committedOutputPagesRenderCleanly() throws {
        let output = BrowserSupport.packageRoot.appendingPathComponent("output").path
        let reports = try BrowserSupport.browse(output, screenshots: try BrowserSupport.screenshots("output"))
        #expect(reports.count >= 2, "no pages found in \(output)")
        for report in reports {
            #expect(report.problems.isEmpty, "\(report.url.lastPathComponent): \(report.problems.joined(separator: "; "))")
            #expect(report.links > 0, "\(report.url.lastPathComponent) has no links (navigation missing?)")
        }
    }

    /// The checker itself: each kind of broken page is reported, a good one is not.
    @Test func brokenPagesAreCaught() throws {
        let dir = TestEnvironment.temporaryDirectory()
        let png = try Data(contentsOf: URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("Fixtures/site/img/red dot.png"))
        try png.write(to: URL(fileURLWithPath: dir + "/dot.png"))
        try Data("not a png".utf8).write(to: URL(fileURLWithPath: dir + "/corrupt.png"))
        let pages = [
            "good": ("<img src=\"dot.png\" alt=\"\"><a href=\"dot.png\">dot</a><a href=\"https://example.com/\">away</a>", nil as String?),
            "missing-image": ("<img src=\"nope.png\" alt=\"\">", "image not rendered: nope.png"),
            "corrupt-image": ("<img src=\"corrupt.png\" alt=\"\">", "image not rendered: corrupt.png (naturalWidth 0)"),
            "broken-link": ("<a href=\"gone%20away.html\">gone</a>", "broken link: file://"),
            "console-error": ("<script>console.error('boom')</script>", "console.error: boom"),
            "exception": ("<script>throw new Error('bang')</script>", "uncaught exception: Error: bang"),
        ]
        for (name, (body, _)) in pages {
            try "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>\(name)</title></head><body>\(body)</body></html>"
                .write(toFile: dir + "/\(name).html", atomically: true, encoding: .utf8)
        }
        let reports = try BrowserSupport.browse(dir, screenshots: try BrowserSupport.screenshots("checker"))
        #expect(reports.count == pages.count)
        for report in reports {
            let name = report.url.deletingPathExtension().lastPathComponent
            guard let expected = pages[name]?.1 else {
                #expect(report.problems.isEmpty, "\(name): \(report.problems)")
                continue
            }
            #expect(report.problems.contains { $0.contains(expected) }, "\(name): expected «\(expected)» in \(report.problems)")
        }
    }
}

/// A gallery generated here (recipes with spaces and brackets in their names, an image and a
/// data file beside them, a table, highlighted Swift, output, an expected error, a failure),
/// checked in the browser.
@Suite(.enabled(if: BrowserSupport.available && TestEnvironment.canExecute, "needs chromium, libKiln.so and swiftc"))
struct GeneratedSiteBrowserTests {
    @Test func generatedGalleryRendersCleanly() throws {
        let root = TestEnvironment.temporaryDirectory()
        let recipes = root + "/recipes", output = root + "/output"
        let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Fixtures/site").path
        try FileManager.default.copyItem(atPath: fixtures, toPath: recipes)
        let summary = try SiteRunner.runner(output: output).run([recipes])
        #expect(summary.recipes.map(\.status) == [.passed, .passed, .failed], "\(summary.text)")

        let reports = try BrowserSupport.browse(output, screenshots: try BrowserSupport.screenshots("generated"))
        #expect(reports.map { $0.url.lastPathComponent } == ["execution_times.html", "first steps.html", "index.html", "second [b].html", "third.html"])
        for report in reports {
            #expect(report.problems.isEmpty, "\(report.url.lastPathComponent): \(report.problems.joined(separator: "; "))")
        }
        let images = Dictionary(reports.map { ($0.url.lastPathComponent, $0.images) }, uniquingKeysWith: { a, _ in a })
        #expect(images["first steps.html"] == 1 && images["second [b].html"] == 1)
    }
}
