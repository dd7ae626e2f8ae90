import Foundation

/// Kernel objects in the cache: `objects/<key>/<file>.o` (see ``KernelObjectStore``).
///
/// Why: the kernel files are most of a cold build's compiler time and do not depend on the
/// model, so a library for a new model (or new weights) compiles only its `model.c` and the
/// kernel files no earlier build needed. An empty `KILN_CACHE_DIR` has none; the prebuilt
/// store (``KernelObjectStore/prebuilt(environment:)``) is looked in next.
extension CompileCache {
    var objects: KernelObjectStore { KernelObjectStore(root: root.appendingPathComponent("objects")) }

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

    /// Copies the objects of `sources` that the cache or else `prebuilt` holds into
    /// `directory`; returns the sources found in each.
    func fetchObjects(_ sources: [String], key: String, into directory: URL,
                      prebuilt: KernelObjectStore?) -> (cached: Set<String>, prebuilt: Set<String>) {
        let cached = objects.fetch(sources, key: key, into: directory)
        guard let prebuilt, prebuilt.root.standardizedFileURL != objects.root.standardizedFileURL else { return (cached, []) }
        return (cached, prebuilt.fetch(sources.filter { !cached.contains($0) }, key: key, into: directory))
    }

    /// Stores freshly compiled objects (called only after the library they went into was built
    /// and checked).
    func storeObjects(_ sources: [String], key: String, from directory: URL) {
        _ = try? objects.store(sources, key: key, from: directory)
    }
}
