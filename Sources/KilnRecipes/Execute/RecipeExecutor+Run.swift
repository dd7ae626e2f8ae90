import Foundation
import Kiln

extension RecipeExecutor {
    /// Runs the compiled program, splitting output per block and enforcing the time limits.
    func runProgram(_ executable: String, recipe: Recipe, secretDescriptor: Int32, folders: RunFolders,
                    onEvent: (ExecutionEvent) -> Void) -> RecipeExecution {
        let blocks = Dictionary(uniqueKeysWithValues: recipe.blocks.map { ($0.index, $0) })
        let secret = RandomHex.string(words: 2)
        let secretPipe: Int32
        do {
            secretPipe = try Self.pipe(holding: secret + "\n" + folders.displays)
        } catch {
            return failFirst(recipe, error)
        }
        defer { close(secretPipe) }
        var splitter = OutputSplitter(secret: secret, limit: outputLimit, lastBlock: recipe.runnableBlocks.last?.index)
        var begin: [Int: UInt64] = [:], end: [Int: UInt64] = [:]
        var unexpected: Int?
        var displays: [Int: [DisplayItem]] = [:]
        var running: (block: Int, since: Date)?
        var timeout: BlockFailure?
        let recipeLimit = recipe.settings.timeout ?? defaultTimeout
        let start = Date()

        var env = environment
        if env["SWIFT_BACKTRACE"] == nil { env["SWIFT_BACKTRACE"] = "enable=no" }
        env["KILN_RUN_DIRECTORY"] = FileManager.default.currentDirectoryPath
        // The program is built elsewhere, so it would not find the kernel objects beside kiln.
        if env["KILN_KERNEL_OBJECTS"] == nil, let objects = prebuiltKernelObjectsFolder() { env["KILN_KERNEL_OBJECTS"] = objects }
        let termination: ChildProcess.Termination
        do {
            termination = try ChildProcess.run(
                path: executable, arguments: [], environment: env, inherit: [secretDescriptor: secretPipe],
                workingDirectory: folders.files,
                onOutput: { bytes in
                    splitter.feed(bytes) { marker in
                        switch marker.kind {
                        case .begin:
                            begin[marker.block] = marker.nanoseconds
                            running = (marker.block, Date())
                            if let s = blocks[marker.block] { onEvent(.blockStarted(s)) }
                        case .end:
                            end[marker.block] = marker.nanoseconds
                            running = nil
                            if let s = blocks[marker.block] {
                                let seconds = Double(marker.nanoseconds &- (begin[marker.block] ?? marker.nanoseconds)) / 1e9
                                onEvent(.blockFinished(BlockResult(block: s, status: .passed, seconds: seconds)))
                            }
                        case .unexpected: unexpected = marker.block
                        case .display:
                            // Items shown outside any block (an atexit handler's) have no place.
                            guard let b = running?.block else { break }
                            let path = (folders.displays as NSString).appendingPathComponent("\(marker.block).json")
                            let count = displays[b]?.count ?? 0
                            if count < DisplayItem.maximumPerBlock {
                                displays[b, default: []].append(DisplayItem.load(path: path))
                            } else if count == DisplayItem.maximumPerBlock {
                                displays[b, default: []].append(.text("(more items dropped: a block shows at most \(DisplayItem.maximumPerBlock))"))
                            }
                            unlink(path)
                        }
                    }
                },
                shouldKill: {
                    let now = Date()
                    if now.timeIntervalSince(start) > recipeLimit {
                        timeout = .timeout(seconds: recipeLimit, recipeWide: true)
                    } else if let r = running, let limit = blocks[r.block]?.options.timeout ?? recipe.settings.blockTimeout,
                              now.timeIntervalSince(r.since) > limit {
                        timeout = .timeout(seconds: limit, recipeWide: false)
                    }
                    return timeout != nil
                })
        } catch {
            return failFirst(recipe, error)
        }
        splitter.finish()

        var results: [BlockResult] = []
        var failed = false
        let firstRunnable = recipe.runnableBlocks.first?.index
        for block in recipe.blocks {
            guard block.runs else {
                results.append(BlockResult(block: block, status: .shownOnly))
                continue
            }
            var output = splitter.text(of: block.index)
            if block.index == firstRunnable { output = splitter.text(of: -1) + output }
            if failed {
                results.append(BlockResult(block: block, status: .notRun))
                continue
            }
            if let b = begin[block.index], let e = end[block.index] {
                results.append(BlockResult(block: block, status: .passed, output: output, seconds: Double(e &- b) / 1e9,
                                           displays: displays[block.index] ?? []))
                continue
            }
            // This block was running (or, if none began, the program died before the first).
            failed = true
            var result = BlockResult(block: block, status: .passed, output: output,
                                    seconds: running.map { Date().timeIntervalSince($0.since) } ?? 0,
                                    failureLine: block.fenceLines.lowerBound, displays: displays[block.index] ?? [])
            if let timeout {
                result.status = .failed(timeout)
            } else if unexpected == block.index {
                result.status = .failed(.unexpectedSuccess)
            } else if let report = RuntimeReport.parse(output, recipePath: recipe.path) {
                result.output = report.output
                result.status = .failed(report.isThrownError ? .thrownError(report.message) : .trap(report.message))
                if let line = report.line { result.failureLine = line }
            } else {
                switch termination {
                case .signaled(let s): result.status = .failed(.signal(ChildProcess.signalName(s)))
                case .exited(let c): result.status = .failed(.exit(c))
                }
            }
            onEvent(.blockFinished(result))
            results.append(result)
        }
        if !failed, let last = results.lastIndex(where: { $0.block.runs }) {
            let after = splitter.text(of: OutputSplitter.afterLastBlock)
            if let failure = Self.failureAfterLastBlock(after, termination: termination, timeout: timeout, recipePath: recipe.path) {
                results[last].status = .failed(failure)
                results[last].failureLine = results[last].block.fenceLines.lowerBound
                onEvent(.blockFinished(results[last]))
            } else {
                results[last].output += after
            }
        }
        return RecipeExecution(recipe: recipe, blocks: results)
    }

    /// Why a program whose blocks all completed failed after them (a timeout, a trap or thrown
    /// error in an `atexit` handler or destructor, a signal, a non-zero status), given the
    /// output written after the last block; nil when it exited with status 0.
    static func failureAfterLastBlock(_ after: String, termination: ChildProcess.Termination, timeout: BlockFailure?,
                                      recipePath: String) -> BlockFailure? {
        if termination == .exited(0) && timeout == nil { return nil }
        var output = after
        let reason: String
        if let timeout {
            reason = timeout.summary
        } else if let report = RuntimeReport.parse(after, recipePath: recipePath) {
            output = report.output
            reason = (report.isThrownError ? "thrown error: " : "trap: ") + report.message
        } else {
            switch termination {
            case .signaled(let s): reason = "terminated by signal \(ChildProcess.signalName(s))"
            case .exited(let c): reason = "the program exited with status \(c)"
            }
        }
        return .afterLastBlock(output.isEmpty ? reason : reason + "\nOutput after the last block:\n" + output)
    }

    /// The first runnable block failed with an internal `error` (the program could not start).
    private func failFirst(_ recipe: Recipe, _ error: any Error) -> RecipeExecution {
        RecipeExecution(recipe: recipe, blocks: recipe.blocks.map {
            $0.runs && $0.index == recipe.runnableBlocks[0].index
                ? BlockResult(block: $0, status: .failed(.internalError("\(error)")), failureLine: $0.fenceLines.lowerBound)
                : BlockResult(block: $0, status: $0.runs ? .notRun : .shownOnly)
        })
    }

    /// The read end of a close-on-exec pipe holding `text` and then end of file. Made under the
    /// spawn lock, so no concurrent spawn inherits it before it is close-on-exec.
    static func pipe(holding text: String) throws -> Int32 {
        var fds: [Int32] = [0, 0]
        let made = ActiveProcessGroups.shared.spawnLock.withLock { () -> Bool in
            guard Glibc.pipe(&fds) == 0 else { return false }
            _ = fcntl(fds[0], F_SETFD, FD_CLOEXEC)
            _ = fcntl(fds[1], F_SETFD, FD_CLOEXEC)
            return true
        }
        guard made else { throw RecipeError(.internalError, "cannot create a pipe: \(String(cString: strerror(errno)))") }
        let bytes = Array(text.utf8)
        let written = bytes.withUnsafeBytes { write(fds[1], $0.baseAddress, $0.count) }
        close(fds[1])
        guard written == bytes.count else {
            close(fds[0])
            throw RecipeError(.internalError, "cannot write to a pipe: \(String(cString: strerror(errno)))")
        }
        return fds[0]
    }
}
