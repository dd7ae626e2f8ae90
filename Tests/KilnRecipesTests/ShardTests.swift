import Foundation
import Kiln
import Testing
@testable import KilnRecipes

/// `--shard i/n` and `kiln gallery merge` (issue 14 item 5).
struct ShardTests {
    let paths = (1...11).map { "recipes/r\($0).md" }

    @Test func shardsCoverEveryRecipeExactlyOnce() throws {
        for n in 1...5 {
            for seconds in [[:], Dictionary(uniqueKeysWithValues: paths.enumerated().map { ($1, Double($0 % 4) * 2.5) })] {
                let parts = (1...n).map { Shard(index: $0, count: n)!.select(paths, seconds: seconds) }
                #expect(parts.flatMap { $0 }.sorted() == paths.sorted(), "n=\(n): \(parts)")
                // Discovery order does not matter.
                let reversed = (1...n).map { Shard(index: $0, count: n)!.select(paths.reversed(), seconds: seconds) }
                #expect(reversed.map { Set($0) } == parts.map { Set($0) })
            }
        }
    }

    @Test func splitBalancesRecordedTimes() {
        let seconds = ["a": 10.0, "b": 6, "c": 5, "d": 1]
        let one = Shard(index: 1, count: 2)!.select(["a", "b", "c", "d"], seconds: seconds)
        let two = Shard(index: 2, count: 2)!.select(["a", "b", "c", "d"], seconds: seconds)
        #expect(one == ["a", "d"] && two == ["b", "c"])
    }

    @Test(arguments: ["0/2", "3/2", "1/0", "1", "a/b", "1/2/3", "-1/2"])
    func badShardsAreRefused(text: String) {
        #expect(Shard(text) == nil)
    }
}

/// Sharded runs merged into one gallery, against an unsharded run.
@Suite(.enabled(if: TestEnvironment.canExecute, "needs libKiln.so and Modules/ next to the test bundle"))
final class ShardRunTests {
    let root = TestEnvironment.temporaryDirectory()

    deinit { try? FileManager.default.removeItem(atPath: root) }

    func runner(output: String, shard: Shard? = nil) -> RecipeRunner {
        var options = RunOptions()
        options.outputDirectory = root + "/" + output
        options.kilnBuildDirectory = TestEnvironment.buildDirectory!
        options.toolchain = TestEnvironment.toolchain
        options.buildIdentity = "shards"
        options.includeTimes = false
        options.shard = shard
        return RecipeRunner(options)
    }

    func read(_ path: String) -> String? {
        FileManager.default.contents(atPath: root + "/" + path).map { String(decoding: $0, as: UTF8.self) }
    }

    @Test func mergedShardsEqualAnUnshardedRun() throws {
        let recipes = root + "/recipes"
        try FileManager.default.createDirectory(atPath: recipes, withIntermediateDirectories: true)
        for (i, name) in ["alpha", "beta", "gamma"].enumerated() {
            try "# \(name.capitalized)\n\n```swift\nprint(\(i))\n```\n".write(toFile: "\(recipes)/\(name).md", atomically: true, encoding: .utf8)
        }
        let whole = try runner(output: "whole").run([recipes])
        #expect(whole.exitCode == 0, "\(whole.text)")

        // Two CI machines: each shard into its own folder, then merged into a third.
        let one = try runner(output: "shard1", shard: Shard("1/2")).run([recipes])
        let two = try runner(output: "shard2", shard: Shard("2/2")).run([recipes])
        #expect(one.recipes.count + two.recipes.count == 3)
        #expect(Set(one.recipes.map(\.name)).isDisjoint(with: two.recipes.map(\.name)))
        #expect(read("shard1/index.md") == nil && read("shard1/.shards/1-of-2.json") != nil)
        #expect(read("shard1/" + CacheManifest.fileName) == nil)

        // Incomplete sets are refused, naming what is missing.
        #expect {
            try self.runner(output: "merged").mergeShards([self.root + "/shard1"])
        } throws: { error in
            "\(error)".contains("shard 2/2 missing") && (error as? RecipeError)?.failureClass == .badInput
        }
        #expect(throws: RecipeError.self) { try self.runner(output: "merged").mergeShards([self.root + "/shard1", self.root + "/shard1"]) }

        #expect(try runner(output: "merged").mergeShards([root + "/shard1", root + "/shard2"]) == 3)
        for file in ["index.md", "index.html", "execution_times.md", "alpha.md", "beta.html", "gamma.swift"] {
            #expect(read("merged/" + file) != nil && read("merged/" + file) == read("whole/" + file), "\(file)")
        }
        let merged = CacheManifest.load(outputDirectory: root + "/merged")
        #expect(merged.recipes.keys.sorted() == ["alpha", "beta", "gamma"])
        // The merged gallery is cached as a whole run's: a plain run now runs nothing.
        #expect(try runner(output: "merged").run([recipes]).cached == 3)

        // One machine, one output folder: shards then a merge in place.
        _ = try runner(output: "local", shard: Shard("2/2")).run([recipes])
        _ = try runner(output: "local", shard: Shard("1/2")).run([recipes])
        #expect(try runner(output: "local").mergeShards([root + "/local"]) == 3)
        #expect(read("local/index.md") == read("whole/index.md"))
        #expect(!FileManager.default.fileExists(atPath: root + "/local/.shards"))
    }
}
