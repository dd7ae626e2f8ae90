import Foundation

/// The system C compiler and the flags a generated library is built with.
///
/// `$CC` (which may carry arguments, e.g. `ccache gcc`) or else `cc`. Its identity (the
/// `--version` text) is part of every cache key, so a compiler upgrade rebuilds.
struct Toolchain: Sendable {
    /// The compiler command, e.g. ["cc"].
    let command: [String]
    /// `cc --version` output: which compiler, which version.
    let identity: String
    /// `pkg-config --cflags --libs openblas`, or the bare `-lopenblas` when pkg-config is absent.
    let blasFlags: [String]
    /// Seconds each compiler command may run (nil: no limit).
    var timeout: Double? = Toolchain.defaultTimeout

    /// The compiler timeout without `KILN_CC_TIMEOUT`: far above a cold ResNet-50 build, far
    /// below forever.
    static let defaultTimeout = 300.0

    /// `timeout` if given, else `KILN_CC_TIMEOUT` from `environment`, else the default;
    /// 0 (or less) means no limit.
    static func timeout(_ timeout: Double?, environment: [String: String]) throws -> Double? {
        var seconds = timeout ?? defaultTimeout
        if timeout == nil, let text = environment["KILN_CC_TIMEOUT"], !text.isEmpty {
            guard let value = Double(text.trimmingCharacters(in: .whitespaces)), value.isFinite else { throw CompileError.invalidTimeout(text) }
            seconds = value
        }
        return seconds > 0 ? seconds : nil
    }

    /// The toolchain for this process's environment.
    static func detect(environment: [String: String] = ProcessInfo.processInfo.environment, timeout: Double? = nil) throws -> Toolchain {
        let seconds = try Self.timeout(timeout, environment: environment)
        let cc = environment["CC"].map { $0.split(separator: " ").map(String.init) }.flatMap { $0.isEmpty ? nil : $0 } ?? ["cc"]
        let version: ProcessResult
        do {
            version = try Subprocess.run(cc + ["--version"], timeout: seconds)
        } catch {
            throw CompileError.compilerNotFound(tried: cc.joined(separator: " "), message: "\(error)")
        }
        if version.timedOut {
            throw CompileError.compilerTimedOut(compiler: cc.joined(separator: " "), seconds: seconds ?? 0, sourceDirectory: nil)
        }
        guard version.succeeded else {
            let said = version.output.trimmingCharacters(in: .whitespacesAndNewlines)
            throw CompileError.compilerNotFound(tried: cc.joined(separator: " "),
                                                message: "`\((cc + ["--version"]).joined(separator: " "))` exited with status \(version.status)"
                                                    + (said.isEmpty ? "" : ": \(said)"))
        }
        var blas = ["-lopenblas"]
        if let pc = try? Subprocess.run(["pkg-config", "--cflags", "--libs", "openblas"]), pc.succeeded {
            let parts = pc.output.split(whereSeparator: { $0 == " " || $0 == "\n" }).map(String.init)
            if !parts.isEmpty { blas = parts }
        }
        return Toolchain(command: cc, identity: version.output.trimmingCharacters(in: .whitespacesAndNewlines), blasFlags: blas,
                         timeout: seconds)
    }

    /// Winograd workspace slots a library is built for: this machine's cores, at most 4 (the
    /// kernels' own limit). A library's threads beyond it share slots' work, never memory.
    static let winogradSlots = min(4, max(1, ProcessInfo.processInfo.activeProcessorCount))

    /// The flags, each with why it is there (`kiln inspect` and the build script show them).
    static let flagReasons: [(flag: String, why: String)] = [
        ("-std=gnu11", "the kernels use C11 atomics and _Thread_local, plus POSIX extensions"),
        ("-O3", "full optimisation: the kernels' inner loops must vectorise"),
        ("-march=native", "use every SIMD extension of the host CPU (AVX2/AVX-512); the library is for this machine class, recorded in its metadata"),
        ("-fno-math-errno", "as in Kiln's own kernel build: lets sqrtf and friends inline"),
        ("-fPIC", "position-independent code, required for a shared library"),
        ("-shared", "build a .so that aotLoad can dlopen"),
        ("-fvisibility=hidden", "export only kiln_model.h's symbols, so the library's kernel copies never interpose with the host's"),
        ("-pthread", "the kernels' fork/join threads and the per-instance arena lock"),
        ("-DKILN_GENERATED_MODEL", "compiles kiln_model_runtime.c, which is empty in Kiln's own build"),
        ("-DKILN_WINO_SLOTS=\(winogradSlots)", "Winograd workspace slots for this machine's cores (at most 4): the workspace, resident from load, holds none that no thread can use (3.3 MB less for ResNet-18 on 2 cores)"),
        ("-Wl,--no-undefined", "a missing symbol fails the build here instead of dlopen later"),
        ("-Wl,--as-needed", "link libopenblas only when an object calls it: a CNN whose steps all run on Kiln's own kernels loads without it and starts no BLAS threads"),
        ("-Wl,--build-id=0x\(buildIDPlaceholder)", "the cache key (a SHA-256 of every input of the library) as build id: same inputs, byte-identical library, and the linker need not hash its output (=sha1 over ResNet-18's 47 MB of weights costs ~0.2 s of CPU at the end of every cold build)"),
    ]

    /// Replaced by the cache key in the link command.
    static let buildIDPlaceholder = "<cache key>"

    /// The flags (without BLAS), in command-line order.
    static var flags: [String] { flagReasons.map(\.flag) }

    /// Flags that only matter when linking (`-shared`, `-Wl,…`); the rest compile.
    static func isLinkOnly(_ flag: String) -> Bool { flag == "-shared" || flag.hasPrefix("-Wl,") }

    /// The commands that build `output` from `sources`, relative to the build directory
    /// (relative paths keep the build directory out of the library): one `-c` per source,
    /// then one link. Why separate compiles: they run in parallel, one per core (the kernel
    /// sources take ~3.6 s of compiler time in sequence, most of a cold aotCompile); the
    /// objects and so the library are the same either way.
    func buildCommands(sources: [String], output: String, buildID: String) -> (compiles: [[String]], link: [String]) {
        let compiles = sources.map { command + compileFlags + ["-c", $0, "-o", Self.object($0)] }
        let link = command + Self.flags.filter { Self.isLinkOnly($0) || $0 == "-pthread" || $0 == "-fPIC" || $0.hasPrefix("-march") }
            .map { $0.replacingOccurrences(of: Self.buildIDPlaceholder, with: buildID) }
            + blasFlags.filter { $0.hasPrefix("-L") } + sources.map(Self.object) + ["-o", output]
            + blasFlags.filter { $0.hasPrefix("-l") } + ["-lm"]
        return (compiles, link)
    }

    static func object(_ source: String) -> String { source + ".o" }

    /// What every `-c` gets between the compiler and the file: the compile flags, `-I.` and
    /// OpenBLAS's include flags.
    var compileFlags: [String] {
        Self.flags.filter { !Self.isLinkOnly($0) } + ["-I."] + blasFlags.filter { !$0.hasPrefix("-l") && !$0.hasPrefix("-L") }
    }

    /// Builds `output` in `directory` (which holds the sources), compiling the sources in
    /// parallel. Writes `build.sh` there so the build can be reproduced by hand. On failure
    /// throws ``CompileError/compilerFailed`` with the first failing command's output (in
    /// source order). `buildID` (hex) becomes the library's build id. Sources in `prebuilt` already have their object in `directory` and are
    /// not compiled (`build.sh` still compiles them). Returns a stage per compile and the link.
    @discardableResult
    func build(in directory: URL, sources: [String], output: String, buildID: String, prebuilt: Set<String> = []) throws -> [AOTCompileStage] {
        let (compiles, link) = buildCommands(sources: sources, output: output, buildID: buildID)
        writeBuildScript(in: directory, compiles: compiles, link: link)
        var stages = try compile(compiles, sources: sources, in: directory, skipping: prebuilt)
        let (linked, linkMs) = timed { Result { try Subprocess.run(link, in: directory, timeout: timeout) } }
        try check(linked, directory: directory)
        stages.append(AOTCompileStage(name: "link", milliseconds: linkMs, cpuMilliseconds: ((try? linked.get())?.cpuSeconds ?? 0) * 1000))
        // A compiler that exits 0 without writing a whole library (a wrapper script, a full disk
        // it did not report) must not get a broken file into the cache: check the ELF headers.
        if let problem = Self.builtLibraryProblem(directory.appendingPathComponent(output).path, name: output) {
            throw CompileError.compilerFailed(compiler: command.joined(separator: " "), message: "it exited 0, but \(problem)",
                                              sourceDirectory: directory.path)
        }
        return stages
    }

    /// Runs the compile commands of `sources` (those not in `skipping`) in parallel, most
    /// expensive first; a stage per source in source order, or the first failure (in source order).
    func compile(_ compiles: [[String]], sources: [String], in directory: URL, skipping: Set<String> = []) throws -> [AOTCompileStage] {
        let order = Self.compileOrder(sources, in: directory).filter { !skipping.contains(sources[$0]) }
        let results = Self.runConcurrently(order.map { compiles[$0] }, in: directory, timeout: timeout)
        var bySource = [(result: Result<ProcessResult, Error>, milliseconds: Double)?](repeating: nil, count: compiles.count)
        for (slot, i) in order.enumerated() { bySource[i] = results[slot] }
        var stages: [AOTCompileStage] = []
        for (i, r) in bySource.enumerated() {
            guard let r else {
                stages.append(AOTCompileStage(name: "cc " + sources[i], milliseconds: 0, cpuMilliseconds: 0, cached: true))
                continue
            }
            try check(r.result, directory: directory)
            stages.append(AOTCompileStage(name: "cc " + sources[i], milliseconds: r.milliseconds,
                                          cpuMilliseconds: ((try? r.result.get())?.cpuSeconds ?? 0) * 1000))
        }
        return stages
    }

    private func check(_ run: Result<ProcessResult, Error>, directory: URL) throws {
        let result: ProcessResult
        switch run {
        case .success(let r): result = r
        case .failure(let error): throw CompileError.compilerNotFound(tried: command.joined(separator: " "), message: "\(error)")
        }
        if result.timedOut {
            throw CompileError.compilerTimedOut(compiler: command.joined(separator: " "), seconds: timeout ?? 0, sourceDirectory: directory.path)
        }
        guard result.succeeded else {
            let lines = result.output.split(separator: "\n", omittingEmptySubsequences: false)
            let message = lines.prefix(40).joined(separator: "\n") + (lines.count > 40 ? "\n… (\(lines.count - 40) more lines)" : "")
            throw CompileError.compilerFailed(compiler: command.joined(separator: " "), message: message,
                                              sourceDirectory: directory.path)
        }
    }

    /// Runs the commands, at most one per core at a time; results (with each one's wall time)
    /// in the commands' order.
    static func runConcurrently(_ commands: [[String]], in directory: URL, timeout: Double?)
        -> [(result: Result<ProcessResult, Error>, milliseconds: Double)] {
        /// The shared queue position and results, guarded by `lock`.
        final class Progress: @unchecked Sendable {
            let lock = NSLock()
            var next = 0
            var results: [(result: Result<ProcessResult, Error>, milliseconds: Double)?]
            init(_ n: Int) { results = .init(repeating: nil, count: n) }
        }
        let progress = Progress(commands.count)
        let workers = max(1, min(ProcessInfo.processInfo.activeProcessorCount, commands.count))
        DispatchQueue.concurrentPerform(iterations: workers) { _ in
            while true {
                let i = progress.lock.withLock { () -> Int in progress.next += 1; return progress.next - 1 }
                guard i < commands.count else { return }
                let r = timed { Result { try Subprocess.run(commands[i], in: directory, timeout: timeout) } }
                progress.lock.withLock { progress.results[i] = (r.result, r.milliseconds) }
            }
        }
        return progress.results.map { $0! }
    }

    /// What is wrong with a library the compiler reported as built, or nil when its ELF headers are whole.
    static func builtLibraryProblem(_ path: String, name: String) -> String? {
        do {
            try ELFCheck.check(path)
            return nil
        } catch {
            switch error {
            case .notFound: return "it wrote no \(name)"
            case .unreadable: return "\(name) is unreadable (the file is not readable)"
            case .notELF: return "\(name) is not a shared library (no ELF header)"
            case let .truncated(size, needed): return "\(name) is truncated (\(size) bytes, its ELF headers need at least \(needed))"
            }
        }
    }

    /// `build.sh`: the exact commands, runnable by hand from the kept sources.
    func writeBuildScript(in directory: URL, compiles: [[String]], link: [String]) {
        let script = "#!/bin/sh\n# Rebuilds the library exactly as aotCompile did (which runs the compiles in parallel).\n"
            + "set -e\ncd \"$(dirname \"$0\")\"\n"
            + (compiles + [link]).map { $0.map(Self.shellQuote).joined(separator: " ") }.joined(separator: "\n") + "\n"
        let url = directory.appendingPathComponent("build.sh")
        try? Data(script.utf8).write(to: url)
        try? FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: url.path)
    }

    static func shellQuote(_ s: String) -> String {
        s.allSatisfy { $0.isLetter || $0.isNumber || "-_./=,+:".contains($0) } ? s : "'" + s.replacingOccurrences(of: "'", with: "'\\''") + "'"
    }
}
