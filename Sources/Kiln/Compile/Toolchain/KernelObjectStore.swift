import Foundation

/// A folder of compiled kernel objects, `<key>/<file>.o`, where the key
/// (``CompileCache/objectKey(files:toolchain:)``) hashes every kernel source and header, the
/// compiler, the flags and the CPU. Two folders have this layout: the compile cache's
/// `objects/`, filled by every cold build, and the prebuilt store that `kiln prebuild-kernels`
/// (run by `make release`) writes next to the `kiln` executable, so that even an empty
/// `KILN_CACHE_DIR` finds the kernels compiled (see ``prebuilt(environment:)``).
///
/// An object is the compiler's output for the same inputs, so a library linked from stored
/// objects is byte-identical to one built from scratch (`ObjectCacheTests`). A damaged object
/// (not ELF, truncated) counts as missing and is compiled again.
struct KernelObjectStore: Sendable {
    let root: URL

    func path(_ source: String, key: String) -> URL {
        root.appendingPathComponent(String(key.prefix(32))).appendingPathComponent(Toolchain.object(source))
    }

    /// Whether the store holds a whole object of `source` for `key`.
    func holds(_ source: String, key: String) -> Bool {
        (try? ELFCheck.checkObject(path(source, key: key).path)) != nil
    }

    /// Copies the stored objects of `sources` into `directory` (as the compiler would have
    /// named them) and returns the sources it found.
    func fetch(_ sources: [String], key: String, into directory: URL) -> Set<String> {
        var found = Set<String>()
        for source in sources {
            let stored = path(source, key: key)
            guard holds(source, key: key) else { continue }
            do {
                try AtomicFile.copy(from: stored, to: directory.appendingPathComponent(Toolchain.object(source)))
                found.insert(source)
            } catch {
                continue   // unreadable: compile it instead
            }
        }
        return found
    }

    /// Copies freshly compiled objects of `sources` from `directory` into the store (temporary
    /// file + rename: concurrent builds each install a whole file). Failures are ignored unless
    /// `strict`: a store only saves time, and the next build compiles what is missing.
    @discardableResult
    func store(_ sources: [String], key: String, from directory: URL, strict: Bool = false) throws -> Int {
        var stored = 0
        for source in sources {
            let built = directory.appendingPathComponent(Toolchain.object(source))
            guard (try? ELFCheck.checkObject(built.path)) != nil else { continue }
            let dest = path(source, key: key)
            do {
                try FileManager.default.createDirectory(at: dest.deletingLastPathComponent(), withIntermediateDirectories: true)
                try AtomicFile.copy(from: built, to: dest)
                stored += 1
            } catch {
                if strict { throw CompileError.writeFailed(path: dest.path, message: AtomicFile.reason(of: error)) }
            }
        }
        return stored
    }

    /// The folder name of the prebuilt store next to an executable.
    static let prebuiltFolderName = "kiln-kernel-objects"

    /// The prebuilt store: `KILN_KERNEL_OBJECTS` when set (`off` or empty: none), else
    /// `kiln-kernel-objects/` beside this process's executable when that folder exists
    /// (`.build/release/` for the `kiln` that `make release` built). Why beside the executable:
    /// the store belongs to one build of Kiln, as its kernels' sources do, and a user's first
    /// `kiln compile` should not pay for compiling kernels that are the same for every model.
    static func prebuilt(environment: [String: String] = ProcessInfo.processInfo.environment) -> KernelObjectStore? {
        if let set = environment["KILN_KERNEL_OBJECTS"] {
            let trimmed = set.trimmingCharacters(in: .whitespaces)
            return trimmed.isEmpty || trimmed == "off" ? nil : KernelObjectStore(root: URL(fileURLWithPath: trimmed))
        }
        guard let folder = defaultPrebuiltFolder() else { return nil }
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: folder.path, isDirectory: &isDirectory), isDirectory.boolValue else { return nil }
        return KernelObjectStore(root: folder)
    }

    /// `kiln-kernel-objects/` beside this process's executable (symlinks resolved).
    static func defaultPrebuiltFolder() -> URL? {
        guard let exe = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe") else { return nil }
        return URL(fileURLWithPath: exe).deletingLastPathComponent().appendingPathComponent(prebuiltFolderName)
    }
}

extension AOTCompileOptions {
    /// The prebuilt kernel-object store this compile reads, or nil.
    var prebuiltStore: KernelObjectStore? {
        var env = ProcessInfo.processInfo.environment
        if let prebuiltKernelObjects { env["KILN_KERNEL_OBJECTS"] = prebuiltKernelObjects }
        return KernelObjectStore.prebuilt(environment: env)
    }
}
