import ArgumentParser
import Foundation
import Kiln
import KilnRecipes

/// `kiln gallery`: the recipe gallery (index, execution times) as its own step.
struct GalleryCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gallery",
        abstract: "Assemble the recipe gallery.",
        subcommands: [GalleryMergeCommand.self]
    )
}

/// `kiln gallery merge`: the full gallery from the outputs of `kiln run --shard i/n`.
struct GalleryMergeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "merge",
        abstract: "Merge the output folders of `kiln run --shard i/n` (1/n … n/n) into one gallery.",
        discussion: """
            Copies each shard's documents into --output, merges their entries into the cache \
            manifest and writes index.md, index.html and execution_times.md, as one unsharded \
            `kiln run` would have.
            """
    )

    @Argument(help: "Output folders of the shards (each holds .shards/i-of-n.json).")
    var folders: [String]

    @Option(help: "The gallery's folder.")
    var output: String = "output"

    @Flag(help: "Leave running times out of the gallery (as `kiln run --no-times`).")
    var noTimes = false

    func validate() throws {
        guard !folders.isEmpty else { throw ValidationError("give at least one shard output folder") }
    }

    func run() throws {
        try reportingErrors {
            var o = RunOptions()
            o.outputDirectory = output
            o.includeTimes = !noTimes
            try AtomicFile.checkWritableDirectory(output)
            let count = try RecipeRunner(o).mergeShards(folders)
            print("Merged \(count) recipes from \(folders.count) folder(s) into \(output)/index.md.")
        }
    }
}
