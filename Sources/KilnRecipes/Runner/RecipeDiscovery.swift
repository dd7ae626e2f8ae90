import Foundation

/// Finds recipes: each path is a Markdown file or a folder searched recursively for `*.md`
/// (hidden entries skipped). Paths keep the spelling they were given (`recipes/x.md`).
public enum RecipeDiscovery {
    /// The recipe paths under `paths` (default `["recipes"]`), sorted, each file once however
    /// it is spelled.
    /// Throws `.badInput` for a missing path or two recipes with the same file name (their
    /// documents would collide in `output/`).
    public static func find(_ paths: [String]) throws -> [String] {
        let fm = FileManager.default
        var found: [String] = []
        for given in paths.isEmpty ? ["recipes"] : paths {
            var isDirectory: ObjCBool = false
            guard fm.fileExists(atPath: given, isDirectory: &isDirectory) else {
                throw RecipeError(.badInput, "\(given): no such file or directory",
                                  suggestion: "Suggested fix: pass a recipe file or a folder of recipes (default: recipes/).")
            }
            if !isDirectory.boolValue {
                found.append(given)
                continue
            }
            let base = given.hasSuffix("/") ? String(given.dropLast()) : given
            guard let walker = fm.enumerator(atPath: given) else { continue }
            var inFolder: [String] = []
            while let relative = walker.nextObject() as? String {
                let last = (relative as NSString).lastPathComponent
                if last.hasPrefix(".") {
                    walker.skipDescendants()
                    continue
                }
                if relative.hasSuffix(".md") { inFolder.append(base.isEmpty ? relative : base + "/" + relative) }
            }
            found += inFolder.sorted()
        }
        // One file named twice (`a.md` and `./a.md`, a folder and a file in it, a symbolic
        // link) is one recipe: keep its first spelling.
        var seen = Set<String>(), unique: [String] = []
        for p in found where seen.insert(identity(of: p)).inserted { unique.append(p) }
        var byName: [String: String] = [:]
        for p in unique {
            let name = (p as NSString).lastPathComponent
            if let other = byName[name] {
                throw RecipeError(.badInput, "\(p) and \(other) have the same file name; their documents would collide in output/",
                                  suggestion: "Suggested fix: rename one of them.")
            }
            byName[name] = p
        }
        try checkOutputNames(unique)
        return unique
    }

    /// Throws `.badInput` when two recipes would write the same file in `output/` (`x.md` and
    /// `x.source.md`: the second's document is the first's source copy) or a recipe would
    /// overwrite a gallery file (`index.md`): one of the documents would be silently lost.
    static func checkOutputNames(_ paths: [String]) throws {
        var owner: [String: String] = [:]
        for p in paths {
            for output in OutputFileNames(recipePath: p).all {
                if OutputFileNames.gallery.contains(output) {
                    throw RecipeError(.badInput, "\(p): its document output/\(output) would replace the gallery's output/\(output)",
                                      suggestion: "Suggested fix: rename the recipe (\(OutputFileNames.gallery.joined(separator: ", ")) are the gallery's).")
                }
                if let other = owner[output] {
                    throw RecipeError(.badInput, "\(other) and \(p) would both write output/\(output)",
                                      suggestion: "Suggested fix: rename one of them.")
                }
                owner[output] = p
            }
        }
    }

    /// The file's device and inode (symbolic links followed), or its path if it cannot be read.
    private static func identity(of path: String) -> String {
        var st = stat()
        return stat(path, &st) == 0 ? "\(st.st_dev):\(st.st_ino)" : path
    }

    /// The paths matching the regular expression `pattern` (anywhere in the path).
    public static func filter(_ paths: [String], pattern: String?) throws -> [String] {
        guard let pattern else { return paths }
        let regex: NSRegularExpression
        do {
            regex = try NSRegularExpression(pattern: pattern)
        } catch {
            throw RecipeError(.usage, "invalid --filter regular expression `\(pattern)`",
                              suggestion: "Suggested fix: pass a valid regular expression, e.g. `--filter resnet`.")
        }
        return paths.filter { regex.firstMatch(in: $0, range: NSRange($0.startIndex..., in: $0)) != nil }
    }
}
