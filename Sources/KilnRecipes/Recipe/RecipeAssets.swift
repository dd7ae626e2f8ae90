import Foundation

/// A local file a recipe shows or links (`![](img/plot.png)`, `[data](data/x.csv)`), which
/// the runner copies into the output folder at the same relative path so that the document
/// and its page still find it there.
public struct RecipeAsset: Sendable, Equatable {
    /// The path relative to the recipe's folder, normalised (`img/plot.png`): also its path
    /// inside the output folder.
    public var relativePath: String
    /// Where the file is read from (the recipe's folder joined with ``relativePath``).
    public var sourcePath: String
    /// The recipe line that refers to it.
    public var line: Int
}

/// Finds a recipe's assets. Recipes are untrusted: a reference must stay inside the recipe's
/// folder (no absolute path, no `..` above it, no symbolic link leading out), name a regular
/// file of at most ``maxBytes``, and not take a name the runner writes itself; anything else
/// is a `.badInput` ``RecipeError`` naming `recipes/x.md:LINE`. Images must exist; a link to
/// a missing file or a folder is left alone (it may name a page of the site), as are links to
/// other recipes (`*.md`, regenerated into the output folder by their own run), URLs with a
/// scheme (`https:`, `mailto:`, `data:`) and fragments (`#section`).
public enum RecipeAssets {
    /// The largest file copied (the output folder is committed to git).
    public static let maxBytes = 32 << 20

    /// The assets `recipe` refers to, each once, in document order.
    public static func find(in recipe: Recipe) throws -> [RecipeAsset] {
        let folder = (recipe.path as NSString).deletingLastPathComponent
        let reserved = Set(OutputFileNames.gallery + OutputFileNames(name: recipe.name).all + [".kiln-cache.json"])
        var found: [RecipeAsset] = [], seen = Set<String>()
        func visit(_ node: MarkdownNode, line: Int) throws {
            let line = node.startLine > 0 ? node.startLine : line
            if node.type == "image" || node.type == "link", let destination = node.destination,
               let asset = try asset(destination, isImage: node.type == "image", recipe: recipe, folder: folder, line: line) {
                if reserved.contains(asset.relativePath) || OutputFileNames.isRunnerFile(asset.relativePath) {
                    throw refusal(recipe, line, node, destination, "would replace output/\(asset.relativePath), a file the runner writes",
                                  fix: "rename the file.")
                }
                if seen.insert(asset.relativePath).inserted { found.append(asset) }
            }
            for child in node.children { try visit(child, line: line) }
        }
        try visit(CommonMark.parse(recipe.source).root, line: 1)
        return found
    }

    private static func asset(_ destination: String, isImage: Bool, recipe: Recipe, folder: String, line: Int) throws -> RecipeAsset? {
        let what = isImage ? "image" : "link"
        func fail(_ reason: String, _ fix: String) -> RecipeError {
            RecipeError.badInput(recipe.path, line: line, "\(what) \(destination) \(reason)", fix: fix)
        }
        let keep = "keep the file in \(folder.isEmpty ? "the recipe's folder" : folder + "/") (e.g. in img/) and refer to it relative to the recipe."
        guard let target = localPath(destination) else { return nil }
        guard let path = PercentEncoding.decode(target) else {
            throw fail("has a malformed percent-encoding", "write spaces as %20 and % as %25, or put the path in <angle brackets>.")
        }
        if path.hasPrefix("/") { throw fail("is an absolute path; a recipe may only use files inside its folder", keep) }
        var parts: [String] = []
        for part in path.split(separator: "/") where part != "." {
            if part == ".." {
                guard !parts.isEmpty else { throw fail("leaves the recipe's folder (it goes up with \"..\"); refused", keep) }
                parts.removeLast()
            } else {
                parts.append(String(part))
            }
        }
        guard !parts.isEmpty else { return nil }
        let relative = parts.joined(separator: "/")
        if !isImage && relative.hasSuffix(".md") { return nil }
        let source = folder.isEmpty ? relative : folder + "/" + relative
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: source, isDirectory: &isDirectory), !isDirectory.boolValue else {
            if isImage { throw fail("names no file (\(source) does not exist)", "add the file, or correct the path (relative to the recipe).") }
            return nil
        }
        let root = realPath(folder.isEmpty ? "." : folder), real = realPath(source)
        guard let root, let real, real.hasPrefix(root.hasSuffix("/") ? root : root + "/") else {
            throw fail("leads out of the recipe's folder through a symbolic link (to \(real ?? "?")); refused", keep)
        }
        let attributes = try? FileManager.default.attributesOfItem(atPath: real)
        guard attributes?[.type] as? FileAttributeType == .typeRegular else {
            throw fail("is not a regular file", "refer to a regular file.")
        }
        if let size = attributes?[.size] as? Int, size > maxBytes {
            throw fail("is \(size) bytes, more than the \(maxBytes) a recipe's file may have in the output folder", "make the file smaller.")
        }
        return RecipeAsset(relativePath: relative, sourcePath: source, line: line)
    }

    /// The path part of a destination naming a local file, or nil for URLs with a scheme,
    /// network paths and fragments.
    static func localPath(_ destination: String) -> String? {
        if destination.isEmpty || destination.hasPrefix("#") || destination.hasPrefix("//") { return nil }
        if let colon = destination.firstIndex(of: ":") {
            let scheme = destination[..<colon]
            if let first = scheme.first, first.isASCII, first.isLetter,
               scheme.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "+.-".contains($0)) }) { return nil }
        }
        let path = destination.prefix { $0 != "#" && $0 != "?" }
        return path.isEmpty ? nil : String(path)
    }

    private static func realPath(_ path: String) -> String? {
        guard let resolved = realpath(path, nil) else { return nil }
        defer { free(resolved) }
        return String(cString: resolved)
    }

    private static func refusal(_ recipe: Recipe, _ line: Int, _ node: MarkdownNode, _ destination: String, _ reason: String,
                                fix: String) -> RecipeError {
        RecipeError.badInput(recipe.path, line: line, "\(node.type) \(destination) \(reason)", fix: fix)
    }
}
