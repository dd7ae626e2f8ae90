import Foundation
import Kiln

/// The files a recipe produces in the output folder, named after the recipe (`x` for
/// `recipes/x.md`), and the gallery's own files. Discovery checks that no two recipes (and no
/// recipe and the gallery) would write the same file; the runner writes them.
public struct OutputFileNames: Sendable, Equatable {
    /// `x.md`, the regenerated document
    public var document: String
    /// `x.html`
    public var html: String
    /// `x.source.md`, a copy of the recipe
    public var source: String
    /// `x.swift`, the recipe's code
    public var swift: String
    /// `x.ipynb`, the recipe as a Jupyter notebook
    public var notebook: String
    /// `x`, the stem of every name
    public var name: String

    /// The names for a recipe named `name` (`x`).
    public init(name: String) {
        document = name + ".md"
        html = name + ".html"
        source = name + ".source.md"
        swift = name + ".swift"
        notebook = name + ".ipynb"
        self.name = name
    }

    /// The folder of figures (images a recipe showed) in the output folder.
    public static let figureFolder = "images"

    /// `images/x_block3_1a2b3c4d.svg`: a figure block `block` (1-based, among the Swift blocks)
    /// showed, named by the first 8 hex digits of its content's SHA-256, so an unchanged figure
    /// keeps its name and a changed one gets a new one.
    public func figure(block: Int, content: Data, extension ext: String) -> String {
        "\(Self.figureFolder)/\(name)_block\(block)_\(SHA256Digest.hex(content).prefix(8)).\(ext)"
    }

    /// The recipe whose figure `relativePath` is (`x` for `images/x_block3_1a2b3c4d.svg`), or
    /// nil when the path does not have the exact form of a figure's name.
    public static func figureOwner(_ relativePath: String) -> String? {
        let folder = figureFolder + "/"
        guard relativePath.hasPrefix(folder), relativePath.hasSuffix(".svg") || relativePath.hasSuffix(".png") else { return nil }
        let stem = relativePath.dropFirst(folder.count).dropLast(4)
        let hash = stem.suffix(8)
        guard stem.count > 9, hash.allSatisfy({ $0.isHexDigit && !$0.isUppercase }), stem.dropLast(8).last == "_",
              let marker = stem.dropLast(9).range(of: "_block", options: .backwards) else { return nil }
        let block = stem.dropLast(9)[marker.upperBound...]
        guard !block.isEmpty, block.allSatisfy(\.isASCII), block.allSatisfy(\.isNumber), marker.lowerBound > stem.startIndex else { return nil }
        return String(stem[..<marker.lowerBound])
    }

    /// Whether the runner writes files named `relativePath` in the output folder for some
    /// recipe or for the gallery (figures, thumbnails, the gallery's pages): no recipe's own
    /// file may take such a name.
    public static func isRunnerFile(_ relativePath: String) -> Bool {
        gallery.contains(relativePath) || figureOwner(relativePath) != nil
            || (relativePath.hasPrefix(figureFolder + "/") && relativePath.hasSuffix("_thumbnail.svg"))
    }

    /// The names for the recipe at `path`.
    public init(recipePath path: String) {
        self.init(name: Self.recipeName(path: path))
    }

    /// Every file of the recipe, in the order the runner writes them: the document last but
    /// one, so a reader following its links finds the source and Swift files already there.
    public var all: [String] { [source, swift, notebook, document, html] }

    /// The recipe's name: its file name without directory and `.md` extension (`x` for
    /// `recipes/x.md`), the stem of every file it produces and its title when it has no heading.
    public static func recipeName(path: String) -> String {
        let file = (path as NSString).lastPathComponent
        return file.hasSuffix(".md") ? String(file.dropLast(3)) : file
    }

    /// The gallery's index page.
    public static let index = "index.md"
    /// The gallery's index as HTML.
    public static let indexHTML = "index.html"
    /// Every recipe's running time, slowest first.
    public static let executionTimes = "execution_times.md"
    /// The execution times as HTML.
    public static let executionTimesHTML = "execution_times.html"
    /// The index's thumbnail for a recipe that shows no figure.
    public static let placeholder = figureFolder + "/placeholder.svg"
    /// The gallery's files, which no recipe's file may replace.
    public static let gallery = [index, indexHTML, executionTimes, executionTimesHTML, placeholder]
}
