import Foundation

extension RecipeExecutor {
    /// Compiles; returns nil on success, else the compiler's message and the first error's recipe line.
    func compileProgram(source: String, flags: [String], executable: String, recipe: Recipe, work: String) -> (String, Int?)? {
        let bin = kilnBuildDirectory
        // -diagnostic-style=llvm: one `file:line:col: error:` line per diagnostic and the
        // offending source line, instead of a snippet of the generated program (its
        // #sourceLocation and marker lines would only confuse a reader of the document).
        let arguments = [recipe.settings.optimize ? "-O" : "-Onone", "-suppress-warnings", "-diagnostic-style=llvm",
                         "-module-name", ProgramGenerator.moduleName,
                         "-I", (bin as NSString).appendingPathComponent("Modules"), "-L", bin, "-lKiln",
                         "-Xlinker", "-rpath", "-Xlinker", bin]
            + KilnBuild.clangModuleFlags(for: bin) + flags + extraCompilerFlags + [source, "-o", executable]
        guard let (raw, timedOut) = runCompiler(arguments, work: work) else { return nil }
        let text = raw.replacingOccurrences(of: work, with: "<generated>")
        if timedOut { return ("the compiler did not finish within \(formatSeconds(compileTimeout)) s (--timeout)\n" + text, nil) }
        if let line = firstErrorLine(in: text, recipe: recipe) { return (text, line) }
        // The first error is outside the recipe (typically at the end of the generated
        // program): a block does not end where its fence does (an unclosed `{`, `(`, `#if`…)
        // and swallowed the code after it. Find that block by parsing each block on its own.
        if let (blockText, line) = locateUnbalancedBlock(recipe: recipe, work: work) {
            return (blockText, line)
        }
        return (text, nil)
    }

    /// Runs `swiftc` with `arguments`; nil when it succeeded, else its output and whether it timed out.
    /// Its temporary files go into `work` (swiftc leaves an empty `TemporaryDirectory.*` in
    /// `$TMPDIR` behind on every run).
    private func runCompiler(_ arguments: [String], work: String) -> (String, Bool)? {
        var environment = environment
        environment["TMPDIR"] = work
        var output: [UInt8] = []
        let deadline = Date().addingTimeInterval(compileTimeout)
        var timedOut = false
        let end: ChildProcess.Termination
        do {
            end = try ChildProcess.run(path: toolchain.swiftc, arguments: arguments, environment: environment,
                                       onOutput: { if output.count < 262_144 { output += $0 } },
                                       shouldKill: { timedOut = Date() > deadline; return timedOut })
        } catch {
            return ("\(error)", false)
        }
        if end == .exited(0) { return nil }
        var text = String(decoding: output, as: UTF8.self)
        while text.hasSuffix("\n") { text.removeLast() }
        return (text, timedOut)
    }

    /// The line of the first `recipes/x.md:LINE:COL: error:` in the compiler's output.
    private func firstErrorLine(in text: String, recipe: Recipe) -> Int? {
        for l in text.split(separator: "\n") where l.contains(": error:") {
            guard l.hasPrefix(recipe.path + ":") else { return nil }
            return l.dropFirst(recipe.path.count + 1).split(separator: ":").first.flatMap { Int($0) }
        }
        return nil
    }

    /// Parses each runnable block alone (`swiftc -parse`, a single file, so top-level code is
    /// allowed) and returns the first failing block's diagnostics, located in the recipe, and
    /// their first error's line. The end of a block's file maps to its closing fence.
    private func locateUnbalancedBlock(recipe: Recipe, work: String) -> (String, Int)? {
        let generator = ProgramGenerator()
        for block in recipe.runnableBlocks {
            let file = (work as NSString).appendingPathComponent("block-\(block.index + 1).swift")
            // No `#sourceLocation()` reset: the end of the file then still maps into the recipe.
            let text = generator.sourceLocation(for: block, in: recipe) + "\n" + block.code
            guard (try? text.write(toFile: file, atomically: false, encoding: .utf8)) != nil,
                  let (output, timedOut) = runCompiler(["-parse", "-diagnostic-style=llvm", file], work: work), !timedOut else { continue }
            // Physical lines of the block file (its first line is the directive) that the
            // directive does not cover, such as the end of the file.
            var lines: [String] = []
            for line in output.split(separator: "\n", omittingEmptySubsequences: false) {
                if line.hasPrefix(file + ":"), let n = line.dropFirst(file.count + 1).split(separator: ":").first.flatMap({ Int($0) }) {
                    lines.append("\(recipe.path):\(block.codeLines.lowerBound + n - 2)" + line.dropFirst(file.count + 1 + String(n).count))
                } else {
                    lines.append(String(line))
                }
            }
            let located = lines.joined(separator: "\n")
            guard let line = firstErrorLine(in: located, recipe: recipe) else { continue }
            // An error at the end of the block (its closing fence) usually has a note at the
            // real culprit ("to match this opening '{'"): point there.
            if line == block.fenceLines.upperBound, let note = lines.first(where: { $0.hasPrefix(recipe.path + ":") && $0.contains(": note:") }),
               let noteLine = note.dropFirst(recipe.path.count + 1).split(separator: ":").first.flatMap({ Int($0) }),
               block.codeLines.contains(noteLine) {
                return (located, noteLine)
            }
            return (located, line)
        }
        return nil
    }
}
