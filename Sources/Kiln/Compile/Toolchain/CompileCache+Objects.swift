import Foundation

/// Kernel objects: `objects/<key>/<file>.o`, where the key hashes every kernel source and
/// header, the compiler (its `--version` text and the command with its arguments), the
/// compile flags and the CPU (for -march=native).
///
/// Why: the kernel files are most of a cold build's compiler time and do not depend on the
/// model, so a library for a new model (or new weights) compiles only its `model.c` and the
/// kernel files no earlier build needed. An object is the compiler's output for the same
/// inputs, so a library linked from cached objects is byte-identical to one built from scratch
/// (`ObjectCacheTests`). An empty `KILN_CACHE_DIR` has none: the first build compiles them all.
extension CompileCache {
    var objects: URL { root.appendingPathComponent("objects") }

    /// The object key for the kernel sources `files` (every file, headers too: a header
    /// change must rebuild its includers) built by `toolchain`.
    static func objectKey(files: [(name: String, text: String)], toolchain: Toolchain) -> String {
        var d = SHA256Digest()
        for f in files { d.add(f.name, f.text) }
        d.add("compiler", toolchain.identity)
        d.add("command", toolchain.command.joined(separator: " "))
        d.add("flags", toolchain.compileFlags.joined(separator: " "))
        d.add("cpu", CPUInfo.current.modelName + " " + CPUInfo.current.flags.sorted().joined(separator: " "))
        return d.finalHex
    }

    func objectPath(_ source: String, key: String) -> URL {
        objects.appendingPathComponent(String(key.prefix(32))).appendingPathComponent(Toolchain.object(source))
    }

    /// Copies the cached objects of `sources` into `directory` (as the compiler would have
    /// named them) and returns the sources it found. A damaged object (not ELF, truncated)
    /// counts as missing and is compiled again.
    func fetchObjects(_ sources: [String], key: String, into directory: URL) -> Set<String> {
        var found = Set<String>()
        for source in sources {
            let cached = objectPath(source, key: key)
            guard FileManager.default.fileExists(atPath: cached.path), (try? ELFCheck.check(cached.path)) != nil else { continue }
            do {
                try AtomicFile.copy(from: cached, to: directory.appendingPathComponent(Toolchain.object(source)))
                found.insert(source)
            } catch {
                continue   // unreadable: compile it instead
            }
        }
        return found
    }

    /// Copies freshly compiled objects of `sources` from `directory` into the cache (temporary
    /// file + rename: concurrent builds each install a whole file). Called only after the
    /// library they went into was built and checked. Failures are ignored: the cache only saves
    /// time, and the next build compiles what is missing.
    func storeObjects(_ sources: [String], key: String, from directory: URL) {
        for source in sources {
            let built = directory.appendingPathComponent(Toolchain.object(source))
            guard (try? ELFCheck.check(built.path)) != nil else { continue }
            let cached = objectPath(source, key: key)
            try? FileManager.default.createDirectory(at: cached.deletingLastPathComponent(), withIntermediateDirectories: true)
            try? AtomicFile.copy(from: built, to: cached)
        }
    }
}
