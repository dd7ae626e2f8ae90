import Foundation
import Testing
@testable import KilnRecipes

/// Pages link each other as the Markdown does, and headings carry GitHub's anchors.
@Suite struct SiteLinksTests {
    @Test(arguments: [
        ("other.md", "other.html"), ("./other.md#setup", "./other.html#setup"), ("x.MD?v=1", "x.html?v=1"),
        ("second%20%5Bb%5D.md", "second%20%5Bb%5D.html"),
    ])
    func linksToRecipesLeadToTheirPages(link: String, page: String) {
        #expect(SiteLinks.page(for: link, pages: Self.pages) == page)
    }

    static let pages: Set<String> = ["other", "x", "second [b]", "a"]

    @Test(arguments: ["https://example.com/other.md", "//host/a.md", "/abs/a.md", "#other.md", "data.csv", "a.md.txt",
                      "mailto:x.md", "sub/x.md", "../a.md", "a.source.md", "missing.md", "%ZZ.md"])
    func otherLinksAreKept(link: String) {
        #expect(SiteLinks.page(for: link, pages: Self.pages) == nil, "\(link)")
    }

    @Test func slugsFollowGitHub() {
        var slugs = SiteLinks.Slugs()
        let ids = ["Compile it", "Compile it", "compile-it-1", "`aotLoad` & run!", "Ünïcode Größe", "???", "Compile it"].map { slugs.next(for: $0) }
        #expect(ids == ["compile-it", "compile-it-1", "compile-it-1-1", "aotload--run", "ünïcode-größe", "section", "compile-it-2"])
    }

    @Test func pagesCarryAnchorsAndRewrittenLinks() {
        let html = HTMLPage.render(markdown: """
            # Title

            See [the setup](other.md#setup), [the data](data/x.csv) and [the web](https://e.com/a.md).

            ## Run `it` <b>now</b>

            ```swift
            // ## not a heading
            ```

            """, title: "T", navigation: PageNavigation(recipes: ["other"]))
        #expect(html.contains(##"<h1><a class="anchor" id="title" href="#title" aria-hidden="true"></a>Title</h1>"##), "\(html)")
        #expect(html.contains(##"<h2><a class="anchor" id="run-it-now" href="#run-it-now" aria-hidden="true"></a>Run <code>it</code>"##), "\(html)")
        #expect(html.contains(##"<a href="other.html#setup">the setup</a>"##))
        #expect(html.contains(##"<a href="data/x.csv">the data</a>"##))
        #expect(html.contains(##"<a href="https://e.com/a.md">the web</a>"##))
        #expect(!html.contains("not-a-heading"))
    }
}
