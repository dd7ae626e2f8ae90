import Foundation
import Kiln

/// `kiln run --watch`: rerun recipes when they or Kiln change, for authors.
extension RecipeRunner {
    /// What a watch compares between polls: each watched file's modification time and size.
    struct WatchStamp: Equatable {
        var recipes: [String: [Double]]
        var kiln: [String: [Double]]
    }

    /// Runs the recipes under `paths`, then polls every `interval` seconds and runs them again
    /// when a recipe file is added, removed or modified (the cache reruns only what changed),
    /// or when Kiln changes (`libKiln.so` in the build folder or the running executable: every
    /// recipe reruns). Polling needs no dependency and sees edits made by any editor, whether it
    /// rewrites a file in place or replaces it. Returns when `stop` says so, checked between
    /// polls; `kiln` itself never stops it and exits on Ctrl-C (``installInterruptHandlers()``).
    /// `report` gets each run's summary, or the error that kept a run from starting (a folder
    /// that disappeared), after which watching goes on.
    public func watch(_ paths: [String], interval: Double = 0.5, stop: () -> Bool = { false },
                      report: (Result<RunSummary, any Error>) -> Void) {
        var last = watchStamp(paths)
        report(Result { try run(paths) })
        while !stop() {
            Thread.sleep(forTimeInterval: interval)
            let now = watchStamp(paths)
            guard now != last else { continue }
            var options = self.options
            if now.kiln != last.kiln { options.force = true }
            last = now
            report(Result { try RecipeRunner(options, reporter: reporter).run(paths) })
        }
    }

    /// The current stamps of the recipes under `paths` and of Kiln.
    func watchStamp(_ paths: [String]) -> WatchStamp {
        func stamp(_ path: String) -> [Double]? {
            guard let attributes = try? FileManager.default.attributesOfItem(atPath: path) else { return nil }
            let date = (attributes[.modificationDate] as? Date)?.timeIntervalSince1970 ?? 0
            return [date, Double((attributes[.size] as? NSNumber)?.int64Value ?? -1)]
        }
        let recipes = (try? RecipeDiscovery.find(paths)) ?? []
        let kiln = [(options.kilnBuildDirectory as NSString).appendingPathComponent(KilnBuild.libraryName),
                    Bundle.main.executablePath ?? CommandLine.arguments[0]]
        return WatchStamp(recipes: Dictionary(recipes.compactMap { p in stamp(p).map { (p, $0) } }, uniquingKeysWith: { a, _ in a }),
                          kiln: Dictionary(kiln.compactMap { p in stamp(p).map { (p, $0) } }, uniquingKeysWith: { a, _ in a }))
    }
}
