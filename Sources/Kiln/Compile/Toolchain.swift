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

    /// The toolchain for this process's environment.
    static func detect(environment: [String: String] = ProcessInfo.processInfo.environment) throws -> Toolchain {
        let cc = environment["CC"].map { $0.split(separator: " ").map(String.init) }.flatMap { $0.isEmpty ? nil : $0 } ?? ["cc"]
        let version: ProcessResult
        do {
            version = try Subprocess.run(cc + ["--version"])
        } catch {
            throw CompileError.compilerNotFound(tried: cc.joined(separator: " "), message: "\(error)")
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
        return Toolchain(command: cc, identity: version.output.trimmingCharacters(in: .whitespacesAndNewlines), blasFlags: blas)
    }

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
        ("-Wl,--no-undefined", "a missing symbol fails the build here instead of dlopen later"),
        ("-Wl,--build-id=sha1", "a content hash as build id: same inputs, byte-identical library"),
    ]

    /// The flags (without BLAS), in command-line order.
    static var flags: [String] { flagReasons.map(\.flag) }

    /// The full command line to build `output` from `sources`, relative to the build
    /// directory (relative paths keep the build directory out of the library).
    func buildCommand(sources: [String], output: String) -> [String] {
        command + Self.flags + ["-I."] + blasFlags.filter { !$0.hasPrefix("-l") } + sources
            + ["-o", output] + blasFlags.filter { $0.hasPrefix("-l") } + ["-lm"]
    }

    /// Builds `output` in `directory` (which holds the sources). Writes `build.sh` there so
    /// the build can be reproduced by hand. On failure throws ``CompileError/compilerFailed``.
    func build(in directory: URL, sources: [String], output: String) throws {
        let cmd = buildCommand(sources: sources, output: output)
        writeBuildScript(in: directory, sources: sources, output: output)
        let result: ProcessResult
        do {
            result = try Subprocess.run(cmd, in: directory)
        } catch {
            throw CompileError.compilerNotFound(tried: command.joined(separator: " "), message: "\(error)")
        }
        guard result.succeeded else {
            let lines = result.output.split(separator: "\n", omittingEmptySubsequences: false)
            let message = lines.prefix(40).joined(separator: "\n") + (lines.count > 40 ? "\n… (\(lines.count - 40) more lines)" : "")
            throw CompileError.compilerFailed(compiler: command.joined(separator: " "), message: message,
                                              sourceDirectory: directory.path)
        }
        // A compiler that exits 0 without writing a whole library (a wrapper script, a full disk
        // it did not report) must not get a broken file into the cache: check the ELF headers.
        if let problem = Self.builtLibraryProblem(directory.appendingPathComponent(output).path, name: output) {
            throw CompileError.compilerFailed(compiler: command.joined(separator: " "), message: "it exited 0, but \(problem)",
                                              sourceDirectory: directory.path)
        }
    }

    /// What is wrong with a library the compiler reported as built, or nil when its ELF headers are whole.
    static func builtLibraryProblem(_ path: String, name: String) -> String? {
        do {
            try ELFCheck.check(path)
            return nil
        } catch LoadError.fileNotFound {
            return "it wrote no \(name)"
        } catch LoadError.notELF {
            return "\(name) is not a shared library (no ELF header)"
        } catch LoadError.truncated(_, let size, let needed) {
            return "\(name) is truncated (\(size) bytes, its ELF headers need at least \(needed))"
        } catch {
            return "\(name) is unreadable (\(error))"
        }
    }

    /// `build.sh`: the exact command, runnable by hand from the kept sources.
    func writeBuildScript(in directory: URL, sources: [String], output: String) {
        let script = "#!/bin/sh\n# Rebuilds the library exactly as aotCompile did.\ncd \"$(dirname \"$0\")\"\n"
            + buildCommand(sources: sources, output: output).map(Self.shellQuote).joined(separator: " ") + "\n"
        let url = directory.appendingPathComponent("build.sh")
        try? Data(script.utf8).write(to: url)
        try? FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: url.path)
    }

    static func shellQuote(_ s: String) -> String {
        s.allSatisfy { $0.isLetter || $0.isNumber || "-_./=,+:".contains($0) } ? s : "'" + s.replacingOccurrences(of: "'", with: "'\\''") + "'"
    }
}
