import Foundation

/// How a recipe's Markdown links map onto the site: a relative link to another recipe's
/// Markdown leads to its page, and headings get GitHub's anchors.
enum SiteLinks {
    /// `other.md`, `./other.md#setup` or `other.md?x` → the same with `.html` when `other` (its
    /// percent-decoded stem) is one of `pages`, the site's recipes; nil for anything else (URLs
    /// with a scheme, paths into other folders, fragments alone, other files, the runner's
    /// `x.source.md` copies, recipes without a page).
    static func page(for url: String, pages: Set<String>) -> String? {
        let end = url.firstIndex(where: { $0 == "#" || $0 == "?" }) ?? url.endIndex
        var path = url[..<end]
        if path.hasPrefix("./") { path = path.dropFirst(2) }
        guard path.lowercased().hasSuffix(".md"), !path.contains("/"), !path.contains(":"),
              let stem = PercentEncoding.decode(String(path.dropLast(3))), pages.contains(stem) else { return nil }
        return url[..<end].dropLast(3) + ".html" + url[end...]
    }

    /// GitHub's heading ids: lower case; letters, digits, `-` and `_` kept, spaces become `-`,
    /// everything else dropped; a repeated slug gets `-1`, `-2`, … in document order.
    struct Slugs {
        private var seen: [String: Int] = [:]

        mutating func next(for text: String) -> String {
            var slug = ""
            for character in text.lowercased() {
                if character == " " {
                    slug.append("-")
                } else if character.isLetter || character.isNumber || character == "-" || character == "_" {
                    slug.append(character)
                }
            }
            if slug.isEmpty { slug = "section" }
            var unique = slug
            if let count = seen[slug] {
                var n = count
                repeat { n += 1; unique = "\(slug)-\(n)" } while seen[unique] != nil
                seen[slug] = n
            }
            seen[unique] = 0
            return unique
        }
    }
}
