import Foundation

/// What an executor reports while it works on one recipe.
public enum ExecutionEvent: Sendable {
    /// The recipe program is being compiled.
    case compiling
    /// A block started running.
    case blockStarted(Block)
    /// A block ended (passed or failed); a passing block's output is only in the final result.
    case blockFinished(BlockResult)
}

/// Compiles a recipe's program (see ``ProgramGenerator``) against the built Kiln and runs it,
/// turning its output and fate into one ``BlockResult`` per block.
///
/// Compilation: `swiftc -Onone` (or `-O` with `optimize=speed`) with
/// `-I <bin>/Modules -L <bin> -lKiln -Xlinker -rpath -Xlinker <bin>` and the module maps of
/// Kiln's C dependencies (``KilnBuild/clangModuleFlags(for:)``). The program runs in its
/// scratch folder's `files/` (so what a block saves there can be shown, and is removed with it)
/// with the given environment plus `KILN_RUN_DIRECTORY` (the runner's directory, for the
/// recipe's inputs) (plus `SWIFT_BACKTRACE=enable=no` unless set,
/// so traps print only the runtime's message), in its own process group, killed with its
/// grandchildren on a timeout; whatever it started is killed when it ends (see ``ProcessSweeper``).
public struct RecipeExecutor: Sendable {
    /// The compiler.
    public var toolchain: SwiftToolchain
    /// The directory holding `libKiln.so` and `Modules/`.
    public var kilnBuildDirectory: String
    /// The recipe program's environment.
    public var environment: [String: String]
    /// Run-time limit for a recipe without `<!-- kiln: timeout=… -->`.
    public var defaultTimeout: Double
    /// Limit for compiling one recipe program.
    public var compileTimeout: Double = 600
    /// Bytes of output kept per block; the rest is dropped with a note.
    public var outputLimit: Int = 1 << 20
    /// Extra `swiftc` arguments (e.g. `-Xcc -fmodule-map-file=…`).
    public var extraCompilerFlags: [String] = []

    /// Creates an executor.
    public init(toolchain: SwiftToolchain, kilnBuildDirectory: String,
                environment: [String: String] = ProcessInfo.processInfo.environment, defaultTimeout: Double = 600) {
        self.toolchain = toolchain
        self.kilnBuildDirectory = kilnBuildDirectory
        self.environment = environment
        self.defaultTimeout = defaultTimeout
    }

    /// Runs `recipe` and returns every block's result. Never throws: failures are results.
    public func execute(_ recipe: Recipe, onEvent: (ExecutionEvent) -> Void = { _ in }) -> RecipeExecution {
        let runnable = recipe.runnableBlocks
        guard !runnable.isEmpty else {
            return RecipeExecution(recipe: recipe, blocks: recipe.blocks.map { BlockResult(block: $0, status: .shownOnly) })
        }
        let work: String
        do {
            work = try ScratchFolders.create()
        } catch {
            return failAll(recipe, at: runnable[0], .internalError("cannot create a scratch folder in \(NSTemporaryDirectory()): \(error)"))
        }
        defer { ScratchFolders.remove(work) }

        let generator = ProgramGenerator()
        let source = (work as NSString).appendingPathComponent("main.swift")
        let executable = (work as NSString).appendingPathComponent("recipe")
        let program = generator.generate(for: recipe)
        do {
            try program.source.write(toFile: source, atomically: false, encoding: .utf8)
        } catch {
            return failAll(recipe, at: runnable[0], .internalError("cannot write \(source): \(error)"))
        }

        onEvent(.compiling)
        let compileStart = Date()
        let compile = compileProgram(source: source, flags: program.compilerFlags, executable: executable, recipe: recipe, work: work)
        let compileSeconds = Date().timeIntervalSince(compileStart)
        if let (message, line) = compile {
            let block = line.flatMap { recipe.block(containing: $0) }.flatMap { $0.runs ? $0 : nil } ?? runnable[0]
            var result = failAll(recipe, at: block, .compileError(message), line: line)
            result.compileSeconds = compileSeconds
            return result
        }
        let folders = RunFolders(work: work)
        do {
            try FileManager.default.createDirectory(atPath: folders.files, withIntermediateDirectories: true)
            try FileManager.default.createDirectory(atPath: folders.displays, withIntermediateDirectories: true)
        } catch {
            return failAll(recipe, at: runnable[0], .internalError("cannot create folders in \(work): \(error)"))
        }
        var result = runProgram(executable, recipe: recipe, secretDescriptor: generator.secretDescriptor, folders: folders,
                                onEvent: onEvent)
        result.compileSeconds = compileSeconds
        return result
    }

    /// The folders of one run of a recipe program inside its scratch folder `work`.
    struct RunFolders {
        /// The program's working directory.
        var files: String
        /// Where the program writes the items it shows (see ``ProgramGenerator``).
        var displays: String

        init(work: String) {
            files = (work as NSString).appendingPathComponent("files")
            displays = (work as NSString).appendingPathComponent("displays")
        }
    }

    /// Every runnable block not run, except `failing`, which failed with `reason`.
    private func failAll(_ recipe: Recipe, at failing: Block, _ reason: BlockFailure, line: Int? = nil) -> RecipeExecution {
        RecipeExecution(recipe: recipe, blocks: recipe.blocks.map { block in
            if !block.runs { return BlockResult(block: block, status: .shownOnly) }
            if block.index == failing.index {
                return BlockResult(block: block, status: .failed(reason), failureLine: line ?? block.fenceLines.lowerBound)
            }
            return BlockResult(block: block, status: .notRun)
        })
    }
}
