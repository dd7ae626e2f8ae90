import Foundation
internal import CKilnKernels

/// A dlopen'ed Kiln library: the handle (closed on deinit) and the ABI's functions.
final class LoadedLibrary: @unchecked Sendable {
    typealias VersionFn = @convention(c) () -> Int32
    typealias TextFn = @convention(c) () -> UnsafePointer<CChar>?
    typealias CreateFn = @convention(c) () -> OpaquePointer?
    typealias DestroyFn = @convention(c) (OpaquePointer?) -> Void
    typealias RunFn = @convention(c) (OpaquePointer?, UnsafePointer<kiln_tensor>?, Int32, UnsafeMutablePointer<kiln_tensor>?, Int32) -> Int32

    let path: String
    private let handle: UnsafeMutableRawPointer
    let abiVersion: VersionFn
    let metadataJSON: TextFn
    let create: CreateFn
    let destroy: DestroyFn
    let run: RunFn
    let lastError: TextFn

    /// Opens `path` with RTLD_NOW (every symbol resolved now, so a missing dependency fails
    /// here rather than mid-run) and RTLD_LOCAL (its symbols stay out of the global scope).
    init(path: String) throws {
        do {
            try ELFCheck.check(path)
        } catch {
            switch error {
            case .notFound: throw LoadError.fileNotFound(path: path)
            case .unreadable: throw LoadError.dlopenFailed(path: path, message: "the file is not readable")
            case .notELF: throw LoadError.notELF(path: path)
            case let .truncated(size, needed): throw LoadError.truncated(path: path, size: size, needed: needed)
            }
        }
        let h = try Self.openFresh(path, flags: RTLD_NOW | RTLD_LOCAL)
        func symbol<T>(_ name: String, as: T.Type) -> T? {
            dlsym(h, name).map { unsafeBitCast($0, to: T.self) }
        }
        guard let version = symbol("kiln_abi_version", as: VersionFn.self) else {
            dlclose(h)
            throw LoadError.notKilnLibrary(path: path)
        }
        let found = version()
        guard found == KilnModelABI.version else {
            dlclose(h)
            throw LoadError.abiVersion(path: path, found: found, supported: KilnModelABI.version)
        }
        guard let meta = symbol("kiln_metadata_json", as: TextFn.self), let create = symbol("kiln_create", as: CreateFn.self),
              let destroy = symbol("kiln_destroy", as: DestroyFn.self), let run = symbol("kiln_run", as: RunFn.self),
              let lastError = symbol("kiln_last_error", as: TextFn.self) else {
            dlclose(h)
            throw LoadError.malformed(path: path, message: "part of the kiln_model.h ABI is missing")
        }
        self.path = path
        handle = h
        abiVersion = version
        metadataJSON = meta
        self.create = create
        self.destroy = destroy
        self.run = run
        self.lastError = lastError
    }

    deinit { dlclose(handle) }

    /// The library's metadata JSON text.
    var metadataText: String { metadataJSON().map { String(cString: $0) } ?? "{}" }
    /// The calling thread's last error message.
    var lastErrorText: String { lastError().map { String(cString: $0) } ?? "" }
}
