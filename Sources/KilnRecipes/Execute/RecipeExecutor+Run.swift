import Foundation

extension RecipeExecutor {
    /// Runs the compiled program, splitting output per block and enforcing the time limits.
    func runProgram(_ executable: String, recipe: Recipe, nonce: String,
                    onEvent: (ExecutionEvent) -> Void) -> RecipeExecution {
        let blocks = Dictionary(uniqueKeysWithValues: recipe.blocks.map { ($0.index, $0) })
        var splitter = OutputSplitter(nonce: nonce, limit: outputLimit)
        var begin: [Int: UInt64] = [:], end: [Int: UInt64] = [:]
        var unexpected: Int?
        var running: (block: Int, since: Date)?
        var timeout: BlockFailure?
        let recipeLimit = recipe.settings.timeout ?? defaultTimeout
        let start = Date()

        var env = environment
        if env["SWIFT_BACKTRACE"] == nil { env["SWIFT_BACKTRACE"] = "enable=no" }
        let termination: ChildProcess.Termination
        do {
            termination = try ChildProcess.run(
                path: executable, arguments: [], environment: env,
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
            return RecipeExecution(recipe: recipe, blocks: recipe.blocks.map {
                $0.runs && $0.index == recipe.runnableBlocks[0].index
                    ? BlockResult(block: $0, status: .failed(.internalError("\(error)")), failureLine: $0.fenceLines.lowerBound)
                    : BlockResult(block: $0, status: $0.runs ? .notRun : .shownOnly)
            })
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
                results.append(BlockResult(block: block, status: .passed, output: output, seconds: Double(e &- b) / 1e9))
                continue
            }
            // This block was running (or, if none began, the program died before the first).
            failed = true
            var result = BlockResult(block: block, status: .passed, output: output,
                                    seconds: running.map { Date().timeIntervalSince($0.since) } ?? 0,
                                    failureLine: block.fenceLines.lowerBound)
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
        return RecipeExecution(recipe: recipe, blocks: results)
    }
}
