import Foundation

/// The compile cache: libraries under `libraries/<key>.so`, autotune winners under
/// `autotune/`, builds in progress under `build/`.
///
/// The key hashes everything that determines the library's bytes: the generated model.c,
/// the weights, the kernel sources, the compiler's identity (`cc --version`), the flags
/// (with OpenBLAS's), the ABI and codegen versions, and the host CPU (for -march=native).
struct CompileCache {
    let root: URL

    var libraries: URL { root.appendingPathComponent("libraries") }
    var autotune: URL { root.appendingPathComponent("autotune") }
    var builds: URL { root.appendingPathComponent("build") }

    static func key(model: GeneratedModel, toolchain: Toolchain) -> String {
        var d = SHA256Digest()
        d.add("abi", "\(KilnModelABI.version)")
        d.add("codegen", "\(CodeGenerator.version)")
        d.add("model.c", model.source)
        d.add("weights.bin", data: model.weights)
        for f in KernelSources.files { d.add(f.name, f.text) }
        d.add("compiler", toolchain.identity)
        d.add("flags", (Toolchain.flags + toolchain.blasFlags).joined(separator: " "))
        d.add("cpu", CPUInfo.current.modelName + " " + CPUInfo.current.flags.sorted().joined(separator: " "))
        return d.finalHex
    }

    func libraryPath(key: String) -> URL { libraries.appendingPathComponent("\(key).so") }

    /// The cached library for `key`, or nil. A damaged entry (not ELF, truncated: a disk
    /// error, a hand edit) counts as a miss, so the next compile replaces it.
    func lookup(key: String) -> URL? {
        let url = libraryPath(key: key)
        guard FileManager.default.fileExists(atPath: url.path) else { return nil }
        return (try? ELFCheck.check(url.path)) != nil ? url : nil
    }

    /// Moves a freshly built library into the cache (atomic rename: concurrent compiles of the
    /// same key each install a complete file).
    func install(_ built: URL, key: String) throws -> URL {
        do {
            try FileManager.default.createDirectory(at: libraries, withIntermediateDirectories: true)
        } catch {
            throw CompileError.writeFailed(path: libraries.path, message: Self.reason(error))
        }
        let dest = libraryPath(key: key)
        if rename(built.path, dest.path) != 0 {
            throw CompileError.writeFailed(path: dest.path, message: String(cString: strerror(errno)))
        }
        return dest
    }

    /// A fresh build directory.
    func makeBuildDirectory(key: String) throws -> URL {
        let dir = builds.appendingPathComponent("\(key.prefix(16))-\(getpid())-\(UInt32.random(in: 0...UInt32.max))")
        do {
            try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        } catch {
            throw CompileError.writeFailed(path: dir.path, message: Self.reason(error))
        }
        return dir
    }

    /// Copies `source` to `dest` atomically (temporary file + rename): `dest` is either
    /// untouched or the whole new file, and the temporary file is removed on failure. The
    /// temporary name is unique per call, so concurrent copies to one `dest` never rename
    /// each other's half-copied file into place.
    static func copy(_ source: URL, to dest: URL) throws {
        try replace(dest) { tmp in try FileManager.default.copyItem(at: source, to: tmp) }
    }

    /// Writes `data` to `dest` the same way. Why not `Data.write(options: .atomic)`: on Linux
    /// Foundation stages it in a `TemporaryDirectory.*` folder in /tmp that it never removes.
    static func write(_ data: Data, to dest: URL) throws {
        try replace(dest) { tmp in try data.write(to: tmp) }
    }

    /// Makes `dest` with `make` at a temporary name beside it, then renames it into place.
    private static func replace(_ dest: URL, make: (URL) throws -> Void) throws {
        let tmp = dest.deletingLastPathComponent()
            .appendingPathComponent(".\(dest.lastPathComponent).tmp-\(getpid())-\(UInt32.random(in: 0...UInt32.max))")
        do {
            try make(tmp)
            guard rename(tmp.path, dest.path) == 0 else { throw CompileError.writeFailed(path: dest.path, message: String(cString: strerror(errno))) }
        } catch {
            try? FileManager.default.removeItem(at: tmp)
            if let e = error as? CompileError { throw e }
            throw CompileError.writeFailed(path: dest.path, message: Self.reason(error))
        }
    }

    /// The POSIX reason of a Foundation file error ("No space left on device", "Not a
    /// directory"), else its localized description: never the whole NSError dump.
    static func reason(_ error: Error) -> String {
        let ns = error as NSError
        if ns.domain == NSPOSIXErrorDomain { return String(cString: strerror(Int32(ns.code))) }
        if let underlying = ns.userInfo[NSUnderlyingErrorKey] as? Error {
            let u = underlying as NSError
            if u.domain == NSPOSIXErrorDomain { return String(cString: strerror(Int32(u.code))) }
        }
        return ns.localizedDescription
    }
}

/// Constants of kiln_model.h seen from Swift.
public enum KilnModelABI {
    /// `KILN_ABI_VERSION`: libraries of another version are refused by ``aotLoad(_:device:)``.
    public static let version: Int32 = 1
}
