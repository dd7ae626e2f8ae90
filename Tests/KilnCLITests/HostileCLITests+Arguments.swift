import Foundation
import Testing

/// Numeric command-line values that used to crash `kiln` (a precondition failure, exit 132,
/// or an allocation failure, exit 134): each is refused with a typed message before anything
/// is allocated, as usage (64) or shape (67).
extension HostileCLITests {
    /// A resnet18 program (224×224 images, batch 1…4), exported once per test process.
    static let program224: String = {
        let path = fixtures + "/r18.kep"
        if !FileManager.default.fileExists(atPath: path) {
            let r = try? Kiln.run(["export", "--model", "resnet18", "--dynamic-batch", "1...4", "--output", path])
            precondition(r?.status == 0, "export failed: \(r?.output ?? "?")")
        }
        return path
    }()

    /// This test process's folder for the programs and libraries the tests share (~50 MB
    /// each), removed at exit; folders of test processes that were killed go at the next start.
    static let fixtures: String = {
        let tmp = FileManager.default.temporaryDirectory.path
        let prefix = "kiln-hostile-fixtures-"
        for name in (try? FileManager.default.contentsOfDirectory(atPath: tmp)) ?? [] where name.hasPrefix(prefix) {
            if let pid = Int32(name.dropFirst(prefix.count)), kill(pid, 0) != 0 { try? FileManager.default.removeItem(atPath: tmp + "/" + name) }
        }
        atexit { try? FileManager.default.removeItem(atPath: FileManager.default.temporaryDirectory.path + "/kiln-hostile-fixtures-\(getpid())") }
        let dir = tmp + "/" + prefix + "\(getpid())"
        try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        return dir
    }()

    /// What `kiln export` prints (stdout, flushed at exit, after the error) when it builds
    /// the model from seeded weights.
    static let seededNote = "note: resnet18 with seeded weights (seed 0), not pretrained\n"

    static func gigabytes(_ bytes: Double) -> String { String(format: "%.1f GB", bytes / 1e9) }

    @Test func compileNegativeBatchIsUsage() throws {
        let r = try Kiln.run(["compile", Self.program224, "--batch=-1"])
        #expect(r.status == 64)
        #expect(r.output == "error: --batch -1: a batch holds at least 1 item\nSuggested fix: --batch 1\n")
    }

    @Test func compileBatchAboveTheProgramsRangeIsRefusedBeforeAllocating() throws {
        let r = try Kiln.run(["compile", Self.program224, "--batch", "1000000"])
        #expect(r.status == 67)
        #expect(r.output == "error: --batch 1000000: the program accepts batch 1…4\nSuggested fix: --batch 4\n")
    }

    @Test func exportNegativeDynamicBatchIsShape() throws {
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("kiln-neg-\(UUID().uuidString).kep").path
        let r = try Kiln.run(["export", "--dynamic-batch=-1...4", "--output", out])
        #expect(r.status == 67)
        #expect(r.output == "error: export: input x, dimension 0: Dim(\"batch\", min: -1, max: 4) has min -1, but sizes start at 1\nSuggested fix: --dynamic-batch 1...4\n" + Self.seededNote)
        #expect(!FileManager.default.fileExists(atPath: out))
    }

    @Test func exportNegativeExampleBatchIsUsage() throws {
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("kiln-neg-\(UUID().uuidString).kep").path
        let r = try Kiln.run(["export", "--example-batch=-2", "--output", out])
        #expect(r.status == 64)
        #expect(r.output == "error: --example-batch -2: a batch holds at least 1 item\nSuggested fix: --example-batch 1\n")
        #expect(!FileManager.default.fileExists(atPath: out))
    }

    @Test(arguments: [
        ("100000", "the example input x has shape [1, 3, 100000, 100000]: 30000000000 elements per batch row"),
        ("20000", "conv2d at `conv1` would output [1, 64, 10000, 10000]: 6400000000 elements per batch row"),
    ])
    func exportHugeImageSizeIsShape(size: String, what: String) throws {
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("kiln-huge-\(UUID().uuidString).kep").path
        let r = try Kiln.run(["export", "--image-size", size, "--output", out])
        #expect(r.status == 67)
        #expect(r.output == "error: export: \(what), more than the 2147483647 Kiln's kernels can index\nSuggested fix: --image-size 224\n" + Self.seededNote)
        #expect(!FileManager.default.fileExists(atPath: out))
    }

    @Test func inferHugeRandomBatchIsRefusedBeforeAllocating() throws {
        let r = try Kiln.run(["infer", "--batch", "100000"])
        #expect(r.status == 67)
        let memory = Self.gigabytes(Double(ProcessInfo.processInfo.physicalMemory))
        #expect(r.output == "error: --batch 100000: a random input of shape [100000, 3, 224, 224] needs 60.2 GB, more than this machine's memory (\(memory))\nSuggested fix: a smaller batch, e.g. --batch 32\n")
    }
}
