import Foundation
@testable import KilnFuzzing
import Testing
@testable import KilnRecipes

/// The text a highlighted fragment shows (the fuzzer's check): tags removed, entities decoded.
func visibleText(_ html: String) -> String { RecipeFuzzCheck.visibleText(html) }

@Suite struct SwiftHighlighterTests {
    static let snippet = """
        import Kiln

        /// A point.
        @frozen struct Point: Equatable {
            var x: Double = 1.5e3 // metres
            var doubled: Double { get { x * 2 } }
            func moved(by dx: Int) -> Point { Point(x: x + Double(dx)) }
        }
        #if DEBUG
        let p = Point().moved(by: 0x10)
        print("p = \\(p.x)", #"raw \\n"#, nil ?? true)
        #endif
        /* block */ let get = [1, 2].map { $0 }

        """

    @Test func snapshot() {
        assertSnapshot(SwiftHighlighter.html(Self.snippet), named: "highlight.swift.html")
    }

    @Test(arguments: [snippet, "let = = (", "func f( {\n\t\"unterminated\n", "let s = \"\"\"\n  a < b & c\n  \"\"\"\n", "π × 2 // ünïcode\r\n", ""])
    func reproducesTheCodeExactly(code: String) {
        #expect(visibleText(SwiftHighlighter.html(code)) == code)
    }

    @Test func keywordsAreDecidedByTheParser() {
        let accessor = SwiftHighlighter.html("var v: Int { get { 1 } }")
        #expect(accessor.contains("<span class=\"kw\">get</span>"))
        #expect(accessor.contains("<span class=\"type\">Int</span>"))
        let variable = SwiftHighlighter.html("let get = 1")
        #expect(!variable.contains("<span class=\"kw\">get</span>") && variable.contains("<span class=\"num\">1</span>"))
        #expect(SwiftHighlighter.html("f(x) // c").contains("<span class=\"fn\">f</span>"))
        #expect(SwiftHighlighter.html("f(x) // c").contains("<span class=\"com\">// c</span>"))
        #expect(SwiftHighlighter.html("a < b").contains("a &lt; b"))
    }
}

@Suite struct HTMLPageTests {
    static let document = """
        <!-- generated from recipes/x.md by kiln run; do not edit -->

        # A page

        | op | batch | ms |
        |:---|:---:|---:|
        | conv | 1 | 1.5 |

        ```swift
        let x = 1 < 2
        print(x)
        ```

        *recipes/x.md, lines 9-12*

        ```text
        true
        ```

        ```swift
        throw E()
        ```

        *recipes/x.md, lines 20-22*

        **Failed** at recipes/x.md:21:

        ```text
        E()
        ```

        ```text
        an author's own text block
        ```

        ```text nondeterministic
        1.23 ms
        ```

        [Download the recipe source: x.source.md](x.source.md)

        """

    @Test func pageSnapshot() {
        let navigation = PageNavigation(previous: .init(title: "A <first>", file: "a b.html"), next: .init(title: "C", file: "c[1].html"))
        assertSnapshot(HTMLPage.render(markdown: Self.document, title: "A page", navigation: navigation), named: "page.html")
    }

    @Test func outputsAreMarkedAndTablesUseStyles() {
        let html = HTMLPage.render(markdown: Self.document, title: "A page")
        #expect(html.contains("<pre class=\"output\"><code>true\n</code></pre>"))
        #expect(html.contains("<pre class=\"error\"><code>E()\n</code></pre>"))
        #expect(html.contains("<pre><code class=\"language-text\">an author's own text block\n</code></pre>"))
        // Not after a caption: an author's block, shown as code.
        #expect(html.contains("<pre><code class=\"language-text\">1.23 ms"))
        #expect(html.contains("<span class=\"kw\">let</span>"))
        #expect(!html.contains(" align="))
        #expect(html.contains("<th style=\"text-align: right\">ms</th>"))
        #expect(!html.contains("nav class=\"pager\""))
    }

    @Test func navigationFollowsTheGalleryOrder() {
        let gallery = [(name: "a", title: "A"), (name: "b c", title: "B & C"), (name: "d", title: "D")]
        #expect(PageNavigation.of("a", in: gallery) == PageNavigation(previous: nil, next: .init(title: "B & C", file: "b c.html"),
                                                                        recipes: ["a", "b c", "d"]))
        #expect(PageNavigation.of("d", in: gallery).next == nil)
        let middle = PageNavigation.of("b c", in: gallery).html
        #expect(middle.contains("<a class=\"prev\" rel=\"prev\" href=\"a.html\">← A</a>"))
        #expect(middle.contains("<a class=\"up\" href=\"index.html\">All recipes</a>"))
        #expect(PageNavigation.of("a", in: gallery).html.contains("href=\"b%20c.html\">B &amp; C →</a>"))
    }

    @Test func percentEncoding() {
        #expect(PercentEncoding.encodePath("my recipe (v2)/[b]é.md") == "my%20recipe%20%28v2%29/%5Bb%5D%C3%A9.md")
        #expect(PercentEncoding.decode("my%20recipe%20%28v2%29/%5Bb%5D%C3%A9.md") == "my recipe (v2)/[b]é.md")
        #expect(PercentEncoding.decode("100%") == nil && PercentEncoding.decode("%zz") == nil && PercentEncoding.decode("%FF") == nil)
        let rows = [GalleryRenderer.Row(path: "recipes/a b[1].md", name: "a b[1]", title: "T", status: .passed, seconds: 1)]
        #expect(GalleryRenderer().index(rows, linkExtension: "html").contains("[T](a%20b%5B1%5D.html)"))
    }
}
