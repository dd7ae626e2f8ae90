import Foundation
import Kiln

/// Runs recipes and regenerates their documents: the library behind `kiln run` and
/// `kiln verify`.
///
/// ```swift
/// var options = RunOptions()
/// options.jobs = 2
/// let summary = try RecipeRunner(options, reporter: myReporter).run(["recipes"])
/// print(summary.text)
/// exit(summary.exitCode)
/// ```
///
/// `run` writes, per recipe `recipes/x.md`, into ``RunOptions/outputDirectory``: `x.md` (see
/// ``DocumentRenderer``), `x.html`, `x.swift` (``StandaloneSwift``), `x.source.md` (a copy of the
/// recipe); then `index.md`, `index.html`, `execution_times.md` (``GalleryRenderer``) and the
/// cache manifest (``CacheManifest``). Every write is atomic. A recipe that fails gets its
/// document written with the failure in place; a recipe that cannot be parsed keeps whatever
/// documents it had. `verify` runs every selected recipe without writing to `output/`.
///
/// With `jobs > 1`, recipes run concurrently, each in its own child process; each document is
/// written whole by one worker, so documents never interleave.
public final class RecipeRunner: Sendable {
    /// The options.
    public let options: RunOptions
    let reporter: (any RunReporter)?
    private let reportLock = NSLock()

    /// Creates a runner; `reporter` receives progress events (serialised).
    public init(_ options: RunOptions = RunOptions(), reporter: (any RunReporter)? = nil) {
        self.options = options
        self.reporter = reporter
    }

    /// Runs the recipes under `paths` (files or folders; default `recipes`), skipping cached
    /// ones unless ``RunOptions/force``, and writes documents, gallery and cache.
    ///
    /// Throws only for problems before any recipe runs (no swiftc, no Kiln build, missing path,
    /// bad filter, colliding output names, an output directory that cannot be created or
    /// written); recipe failures and individual files that cannot be written are in the summary.
    public func run(_ paths: [String]) throws -> RunSummary {
        try execute(paths, mode: .run)
    }

    /// Runs every recipe under `paths` without touching the output directory. With `junit`,
    /// writes a JUnit XML report there; with `check`, also marks recipes whose document in the
    /// output directory differs from a fresh one (times and `nondeterministic` outputs ignored).
    public func verify(_ paths: [String], junit: String? = nil, check: Bool = false) throws -> RunSummary {
        var summary = try execute(paths, mode: .verify(check: check))
        if let junit {
            do {
                try AtomicFile.write(JUnitReport.xml(for: summary.junitCases), to: junit)
            } catch {
                summary.outputErrors.append(Self.outputError(error, path: junit))
            }
        }
        return summary
    }

    /// Kills every running recipe program (and compiler) with its process group and
    /// stragglers. Call it from a SIGINT/SIGTERM handler before exiting: children live in
    /// their own groups, so the terminal's Ctrl-C does not reach them. Later attempts to start
    /// a child fail. Returns how many were running.
    @discardableResult
    public static func killRunningChildren() -> Int {
        ActiveProcessGroups.shared.interrupt()
    }

    /// Installs SIGINT and SIGTERM handlers that wait for a recipe's documents being written
    /// (see ``OutputGate``), kill every running recipe program with its process group and
    /// stragglers, say so on stderr and exit with 128 + the signal (130 for SIGINT, 143 for
    /// SIGTERM). Documents already written stay whole; recipes not finished keep their
    /// previous documents; the gallery and the cache are not updated.
    public static func installInterruptHandlers() {
        for sig in [SIGINT, SIGTERM] {
            signal(sig, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: sig, queue: .global())
            source.setEventHandler {
                OutputGate.close()
                let killed = ActiveProcessGroups.shared.interrupt()
                let name = sig == SIGINT ? "SIGINT" : "SIGTERM"
                let text = "\nkiln: interrupted by \(name): stopped \(killed) running recipe(s) and killed their processes. "
                    + "Finished recipes' documents are kept; unfinished recipes keep their previous documents; "
                    + "the gallery and the cache were not updated. Exit code \(128 + sig).\n"
                FileHandle.standardError.write(Data(text.utf8))
                exit(128 + sig)
            }
            source.resume()
            InterruptSources.shared.keep(source)
        }
    }

    enum Mode: Sendable {
        case run
        case verify(check: Bool)
        var writes: Bool { if case .run = self { return true } else { return false } }
    }

    /// Sends an event to the reporter, one at a time.
    func emit(_ event: RunEvent) {
        guard let reporter else { return }
        reportLock.withLock { reporter.report(event) }
    }

    private func execute(_ paths: [String], mode: Mode) throws -> RunSummary {
        let start = Date()
        let all = try RecipeDiscovery.find(paths)
        try RecipeDiscovery.checkOutputFolder(options.outputDirectory, searched: paths, recipes: all)
        let filtered = try RecipeDiscovery.filter(all, pattern: options.filter)
        let selected = options.shard.map { $0.select(filtered, seconds: recordedSeconds()) } ?? filtered
        // A -p every recipe must accept: refused before anything runs (a recipe that does not
        // load is reported as invalid when its turn comes).
        if !options.parameters.isEmpty {
            for path in selected { _ = try (try? Recipe.load(path: path))?.injecting(options.parameters) }
        }
        try checkAssetCollisions(selected)
        try KilnBuild.validate(options.kilnBuildDirectory)
        // Runners killed outright (SIGKILL, a crash) could not remove their scratch folders.
        ScratchFolders.sweepAbandoned()
        // Fail before spending minutes on recipes whose documents could not be written.
        if mode.writes { try AtomicFile.checkWritableDirectory(options.outputDirectory) }
        let toolchain = try options.toolchain ?? SwiftToolchain.locate(environment: options.environment)
        var executor = RecipeExecutor(toolchain: toolchain, kilnBuildDirectory: options.kilnBuildDirectory,
                                      environment: options.environment, defaultTimeout: options.timeout)
        executor.compileTimeout = options.compileTimeout ?? options.timeout
        executor.outputLimit = options.outputLimitPerBlock
        executor.extraCompilerFlags = options.extraCompilerFlags
        let manifest = mode.writes ? CacheManifest.load(outputDirectory: options.outputDirectory) : CacheManifest()
        let context = RunContext(
            executor: executor, mode: mode,
            buildIdentity: options.buildIdentity ?? KilnBuild.identity(of: options.kilnBuildDirectory),
            manifest: manifest, gallery: galleryOrder(discovered: all, selected: selected, manifest: manifest, mode: mode))

        emit(.started(total: selected.count))
        let reports = Locked([RecipeReport?](repeating: nil, count: selected.count))
        let next = Locked(0)
        let workers = max(1, min(options.jobs, selected.count))
        let group = DispatchGroup()
        for _ in 0..<workers {
            group.enter()
            let thread = Thread { [self] in
                while true {
                    let index = next.withLock { value -> Int in
                        defer { value += 1 }
                        return value
                    }
                    guard index < selected.count else { break }
                    emit(.recipeStarted(path: selected[index], index: index, total: selected.count))
                    let report = process(selected[index], context: context)
                    reports.withLock { $0[index] = report }
                    emit(.recipeFinished(report))
                }
                group.leave()
            }
            thread.stackSize = 8 << 20
            thread.start()
        }
        group.wait()

        var summary = RunSummary(recipes: reports.withLock { $0.compactMap { $0 } }, discovered: all.count,
                                 outputErrors: context.outputErrors.withLock { $0 }, seconds: 0)
        summary.outputDirectory = options.outputDirectory
        if mode.writes, let shard = options.shard {
            summary.outputErrors += writeShardManifest(shard, recipes: selected, context.manifest.withLock { $0 })
        } else if mode.writes {
            summary.outputErrors += writeGallery(context.manifest.withLock { $0 })
        } else if case .verify(check: true) = mode, options.filter == nil, options.shard == nil {
            // A filtered or sharded run saw only some recipes: their gallery would not be the whole one.
            summary.staleGallery = checkGallery(summary.recipes)
        }
        summary.seconds = Date().timeIntervalSince(start)
        emit(.finished(summary))
        return summary
    }
}

/// Keeps signal sources alive for the life of the process.
final class InterruptSources: @unchecked Sendable {
    static let shared = InterruptSources()
    private let sources = Locked<[DispatchSourceSignal]>([])
    func keep(_ source: DispatchSourceSignal) { sources.withLock { $0.append(source) } }
}

/// State shared by the workers of one run.
struct RunContext: Sendable {
    let executor: RecipeExecutor
    let mode: RecipeRunner.Mode
    let buildIdentity: String
    let manifest: Locked<CacheManifest>
    let outputErrors = Locked<[RecipeError]>([])
    /// Every recipe of the gallery (name, title) in its order, for the pages' navigation.
    let gallery: [(name: String, title: String)]

    init(executor: RecipeExecutor, mode: RecipeRunner.Mode, buildIdentity: String, manifest: CacheManifest,
         gallery: [(name: String, title: String)] = []) {
        self.gallery = gallery
        self.executor = executor
        self.mode = mode
        self.buildIdentity = buildIdentity
        self.manifest = Locked(manifest)
    }
}
