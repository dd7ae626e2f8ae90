/// The links every recipe page carries, top and bottom: the gallery index, and the previous
/// and next recipe in the gallery's order (the index's order, by recipe path).
public struct PageNavigation: Sendable, Equatable {
    /// A link to another page of the site.
    public struct Link: Sendable, Equatable {
        /// The page's title, shown as the link text.
        public var title: String
        /// The page's file name in the output folder (`x.html`), not yet percent-encoded.
        public var file: String

        /// Creates a link.
        public init(title: String, file: String) {
            self.title = title
            self.file = file
        }
    }

    /// The previous recipe, nil on the first page.
    public var previous: Link?
    /// The next recipe, nil on the last page.
    public var next: Link?
    /// Every recipe of the site (output stems): links to their Markdown lead to their pages.
    public var recipes: Set<String>

    /// Creates the navigation of one page.
    public init(previous: Link? = nil, next: Link? = nil, recipes: Set<String> = []) {
        self.previous = previous
        self.next = next
        self.recipes = recipes
    }

    /// The navigation of the recipe named `name` (output stem) among `gallery`, a list of
    /// (name, title) in gallery order; a name not in it gets only the index link.
    public static func of(_ name: String, in gallery: [(name: String, title: String)]) -> PageNavigation {
        let recipes = Set(gallery.map(\.name))
        guard let i = gallery.firstIndex(where: { $0.name == name }) else { return PageNavigation(recipes: recipes) }
        let link = { (k: Int) in Link(title: gallery[k].title, file: OutputFileNames(name: gallery[k].name).html) }
        return PageNavigation(previous: i > 0 ? link(i - 1) : nil, next: i + 1 < gallery.count ? link(i + 1) : nil, recipes: recipes)
    }

    /// The `<nav>` bar: previous, the index, next.
    var html: String {
        func anchor(_ link: Link?, rel: String, arrow: (String, String)) -> String {
            guard let link else { return "<span class=\"\(rel)\"></span>" }
            return "<a class=\"\(rel)\" rel=\"\(rel)\" href=\"\(PercentEncoding.encodePath(link.file))\">"
                + "\(arrow.0)\(Markup.escape(link.title))\(arrow.1)</a>"
        }
        return "<nav class=\"pager\" aria-label=\"Recipes\">"
            + anchor(previous, rel: "prev", arrow: ("← ", ""))
            + "<a class=\"up\" href=\"\(OutputFileNames.indexHTML)\">All recipes</a>"
            + anchor(next, rel: "next", arrow: ("", " →"))
            + "</nav>"
    }
}
