import Foundation
import Testing
@testable import KilnRecipes

/// Recipes whose images or links point where the runner must not copy from: each is a
/// `.badInput` error naming `recipe:line` (the runner reports the recipe invalid, exit 65),
/// and nothing outside the recipe's folder is ever read.
@Suite struct HostileAssetTests {
    let root = TestEnvironment.temporaryDirectory()
    var folder: String { root + "/recipes" }

    init() throws {
        try FileManager.default.createDirectory(atPath: root + "/recipes/img", withIntermediateDirectories: true)
        try Data("png".utf8).write(to: URL(fileURLWithPath: root + "/recipes/img/ok b.png"))
        try Data("secret".utf8).write(to: URL(fileURLWithPath: root + "/secret.png"))
        try FileManager.default.createSymbolicLink(atPath: root + "/recipes/img/link.png", withDestinationPath: root + "/secret.png")
        try FileManager.default.createSymbolicLink(atPath: root + "/recipes/img/inside.png", withDestinationPath: "ok b.png")
    }

    func assets(_ body: String) throws -> [RecipeAsset] {
        try RecipeAssets.find(in: Recipe(path: folder + "/r.md", source: "# R\n\n" + body + "\n"))
    }

    func refusal(_ body: String) -> RecipeError? {
        do {
            _ = try assets(body)
            return nil
        } catch {
            return error as? RecipeError
        }
    }

    @Test func localFilesAreFoundOnceWithTheirLine() throws {
        let found = try assets("![a](img/ok%20b.png)\n\n![b](<img/./ok b.png>) [c](img/inside.png#x) [d](https://x.org/a.png) [e](#top) [f](other.md) [g](missing.csv) [h](mailto:a@b)")
        #expect(found.map(\.relativePath) == ["img/ok b.png", "img/inside.png"])
        #expect(found.first?.line == 3 && found.first?.sourcePath == folder + "/img/ok b.png")
    }

    @Test(arguments: [
        ("![x](../secret.png)", "r.md:3: image ../secret.png leaves the recipe's folder (it goes up with \"..\"); refused"),
        ("text\n\n![x](img/../../secret.png)", "r.md:5: image img/../../secret.png leaves the recipe's folder"),
        ("[x](%2E%2E/secret.png)", "r.md:3: link %2E%2E/secret.png leaves the recipe's folder"),
        ("![x](/etc/passwd)", "r.md:3: image /etc/passwd is an absolute path"),
        ("![x](img/link.png)", "r.md:3: image img/link.png leads out of the recipe's folder through a symbolic link"),
        ("![x](img/none.png)", "r.md:3: image img/none.png names no file"),
        ("![x](img/100%.png)", "r.md:3: image img/100%.png has a malformed percent-encoding"),
        ("[x](img)", nil),
        ("![x](index.html)", "r.md:3: image index.html names no file"),
    ] as [(String, String?)])
    func escapesAreRefusedAtTheirLine(body: String, expected: String?) {
        let error = refusal(body)
        guard let expected else {
            #expect(error == nil)
            return
        }
        #expect(error?.failureClass == .badInput)
        #expect(error?.message.hasPrefix(folder + "/" + expected) == true, "\(error?.message ?? "no error")")
        #expect(error?.suggestion?.hasPrefix("Suggested fix: ") == true)
    }

    @Test func runnerFilesCannotBeReplaced() throws {
        try Data("x".utf8).write(to: URL(fileURLWithPath: folder + "/index.html"))
        let error = refusal("[gallery](index.html)")
        #expect(error?.message == folder + "/r.md:3: link index.html would replace output/index.html, a file the runner writes")
        // Figures and thumbnails are the runner's too (it removes figures no document links).
        try FileManager.default.createDirectory(atPath: folder + "/images", withIntermediateDirectories: true)
        for name in ["images/other_block2_0123abcd.svg", "images/other_thumbnail.svg"] {
            try Data("<svg/>".utf8).write(to: URL(fileURLWithPath: folder + "/" + name))
            #expect(refusal("![plot](\(name))")?.message == folder + "/r.md:3: image \(name) would replace output/\(name), a file the runner writes")
        }
    }

    @Test func oversizedFilesAreRefused() throws {
        let big = folder + "/img/big.bin"
        FileManager.default.createFile(atPath: big, contents: nil)
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: big))
        try handle.truncate(atOffset: UInt64(RecipeAssets.maxBytes + 1))
        try handle.close()
        #expect(refusal("[data](img/big.bin)")?.message.contains("more than the \(RecipeAssets.maxBytes) a recipe's file may have") == true)
    }
}
