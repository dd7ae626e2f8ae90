import Foundation

/// The compile cache: libraries under `libraries/<key>.so`, autotune winners under
/// `autotune/`, builds in progress under `build/`. Keys are computed by the code generator
/// (``GeneratedModel/cacheKey(toolchain:)``), which knows what goes into a library.
struct CompileCache {
    let root: URL

    var libraries: URL { root.appendingPathComponent("libraries") }
    var autotune: URL { root.appendingPathComponent("autotune") }
    var builds: URL { root.appendingPathComponent("build") }

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
            throw CompileError.writeFailed(path: libraries.path, message: AtomicFile.reason(of: error))
        }
        let dest = libraryPath(key: key)
        do {
            try AtomicFile.move(from: built, to: dest)
        } catch {
            throw CompileError.writeFailed(path: dest.path, message: error.message)
        }
        return dest
    }

    /// A fresh build directory.
    func makeBuildDirectory(key: String) throws -> URL {
        let dir = builds.appendingPathComponent("\(key.prefix(16))-\(getpid())-\(UInt32.random(in: 0...UInt32.max))")
        do {
            try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        } catch {
            throw CompileError.writeFailed(path: dir.path, message: AtomicFile.reason(of: error))
        }
        return dir
    }
}
