import Foundation

extension RecipeDiscovery {
    /// Throws `.usage` when the output folder is, or lies inside, a folder searched for recipes
    /// (its documents would replace recipes, or be read as recipes by the next run), or when a
    /// recipe's own files in it would replace the recipe. Paths are compared after resolving
    /// `.`, `..` and symbolic links, files also by device and inode, so no spelling slips by.
    static func checkOutputFolder(_ output: String, searched: [String], recipes: [String]) throws {
        let out = resolved(output)
        let fm = FileManager.default
        for folder in searched.isEmpty ? ["recipes"] : searched {
            var isDirectory: ObjCBool = false
            guard fm.fileExists(atPath: folder, isDirectory: &isDirectory), isDirectory.boolValue else { continue }
            let searchedFolder = resolved(folder)
            if out.starts(with: searchedFolder) {
                throw RecipeError(.usage, "--output \(output) lies inside the recipes folder \(folder): its documents would replace recipes, and later runs would read them as recipes",
                                  suggestion: "Suggested fix: pass --output a folder outside \(folder) (the default is output).")
            }
        }
        for recipe in recipes {
            let source = resolved(recipe)
            for name in OutputFileNames(recipePath: recipe).all {
                let target = (output as NSString).appendingPathComponent(name)
                if resolved(target) == source || sameFile(recipe, target) {
                    throw RecipeError(.usage, "\(recipe) would be replaced by its own document \(target): --output \(output) holds the recipe",
                                      suggestion: "Suggested fix: keep recipes out of the output folder, or pass --output another folder.")
                }
            }
        }
    }

    /// The absolute path's components with symbolic links resolved in its longest existing
    /// prefix and `.` and `..` resolved in the rest.
    static func resolved(_ path: String) -> [String] {
        let absolute = path.hasPrefix("/") ? path : FileManager.default.currentDirectoryPath + "/" + path
        var parts = absolute.split(separator: "/").map(String.init)
        var rest: [String] = []
        while true {
            let prefix = "/" + parts.joined(separator: "/")
            if let real = realpath(prefix, nil) {
                defer { free(real) }
                var out = String(cString: real).split(separator: "/").map(String.init)
                for part in rest.reversed() {
                    if part == ".." { if !out.isEmpty { out.removeLast() } } else if part != "." && !part.isEmpty { out.append(part) }
                }
                return out
            }
            guard let last = parts.popLast() else { return rest.reversed().filter { $0 != "." } }
            rest.append(last)
        }
    }

    private static func sameFile(_ a: String, _ b: String) -> Bool {
        var sa = stat(), sb = stat()
        return stat(a, &sa) == 0 && stat(b, &sb) == 0 && sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino
    }
}
