import Foundation
import Testing
@testable import KilnRecipes

/// One recipe named twice (issue 15 item 14): `recipes/a.md` and `./recipes/../recipes/a.md`,
/// a folder and a file in it, or a symbolic link, are the same file (device and inode) and run
/// once, under the first spelling; two different files with one name still collide.
@Suite final class HostileDiscoveryTests {
    let root = TestEnvironment.temporaryDirectory()

    init() throws {
        try FileManager.default.createDirectory(atPath: root + "/recipes/sub", withIntermediateDirectories: true)
        try "# A\n".write(toFile: root + "/recipes/a.md", atomically: true, encoding: .utf8)
        try FileManager.default.createSymbolicLink(atPath: root + "/link.md", withDestinationPath: root + "/recipes/a.md")
    }

    deinit { try? FileManager.default.removeItem(atPath: root) }

    @Test func sameRecipeUnderTwoSpellingsIsFoundOnce() throws {
        let a = root + "/recipes/a.md"
        #expect(try RecipeDiscovery.find([a, root + "/recipes/../recipes/a.md"]) == [a])
        #expect(try RecipeDiscovery.find([root + "/recipes", a]) == [a])
        #expect(try RecipeDiscovery.find([a, root + "/link.md"]) == [a])
    }

    @Test func twoFilesWithOneNameStillCollide() throws {
        try "# Other A\n".write(toFile: root + "/recipes/sub/a.md", atomically: true, encoding: .utf8)
        #expect(throws: RecipeError.self) { try RecipeDiscovery.find([root + "/recipes"]) }
    }
}
