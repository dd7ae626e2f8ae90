import Foundation

/// What ``prebuildKernelObjects(into:compiler:)`` did.
public struct PrebuildReport: Sendable {
    /// The store's folder.
    public var folder: String
    /// The object key (a hash of the kernel sources, compiler, flags and CPU) the objects are under.
    public var key: String
    /// Kernel files compiled now, and those the store already held for this key.
    public var compiled: [String], alreadyThere: [String]
    /// Wall time of the whole run, and compiler CPU time.
    public var milliseconds: Double, cpuMilliseconds: Double
    /// Folders of other keys (earlier Kiln builds, another compiler or CPU) removed from the store.
    public var removedStale: Int
}

/// Compiles every kernel file a library may link, for this CPU and compiler, into a prebuilt
/// object store (default: `kiln-kernel-objects/` beside the running executable; `make release`
/// runs `kiln prebuild-kernels`). An ``aotCompile(_:exampleInputs:options:)`` whose cache lacks
/// a kernel object takes it from there, so even a cold cache compiles only the model's own
/// `model.c` and links. Objects of other keys in the folder are removed (they belong to
/// another build of Kiln, compiler or CPU and would never match again).
///
/// - Parameters:
///   - folder: the store (default beside the executable).
///   - compiler: the C compiler command, as ``AOTCompileOptions/compiler`` (default `CC`, else `cc`).
/// - Throws: ``CompileError`` (compiler missing or failing, the folder unwritable).
@discardableResult
public func prebuildKernelObjects(into folder: String? = nil, compiler: String? = nil) throws -> PrebuildReport {
    let start = DispatchTime.now()
    var options = AOTCompileOptions()
    options.compiler = compiler
    let toolchain = try Toolchain.detect(environment: options.toolchainEnvironment)
    guard let root = folder.map({ URL(fileURLWithPath: $0) }) ?? KernelObjectStore.defaultPrebuiltFolder() else {
        throw CompileError.writeFailed(path: "/proc/self/exe", message: "the executable's folder is unknown; pass a folder")
    }
    do {   // before any compile: a folder that cannot be made fails in milliseconds, not after 10 s of cc
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
    } catch {
        throw CompileError.writeFailed(path: root.path, message: AtomicFile.reason(of: error))
    }
    let store = KernelObjectStore(root: root)
    let key = CompileCache.objectKey(files: KernelSources.files, toolchain: toolchain)
    let units = KernelSources.compilationUnits
    let dir = try TemporaryFolders.shared.create(prefix: "kiln-prebuild")
    defer { TemporaryFolders.shared.remove(dir.path) }
    do {
        try KernelSources.write(to: dir)
    } catch {
        throw CompileError.writeFailed(path: dir.path, message: AtomicFile.reason(of: error))
    }
    let held = Set(units.filter { store.holds($0, key: key) })   // checked in place: no copies
    let missing = units.filter { !held.contains($0) }
    let commands = toolchain.buildCommands(sources: units, output: "unused.so", buildID: key).compiles
    let stages = try toolchain.compile(commands, sources: units, in: dir, skipping: held)
    try store.store(missing, key: key, from: dir, strict: true)
    let removed = store.removeOtherKeys(than: key)
    let ms = Double(DispatchTime.now().uptimeNanoseconds - start.uptimeNanoseconds) / 1e6
    return PrebuildReport(folder: root.path, key: String(key.prefix(32)), compiled: missing, alreadyThere: units.filter(held.contains),
                          milliseconds: ms, cpuMilliseconds: stages.reduce(0) { $0 + $1.cpuMilliseconds }, removedStale: removed)
}

extension KernelObjectStore {
    /// Removes the key folders (32 hex digits) other than `key`'s; returns how many.
    func removeOtherKeys(than key: String) -> Int {
        let keep = String(key.prefix(32))
        let names = (try? FileManager.default.contentsOfDirectory(atPath: root.path)) ?? []
        var removed = 0
        for name in names where name != keep && name.count == 32 && name.allSatisfy(\.isHexDigit) {
            if (try? FileManager.default.removeItem(at: root.appendingPathComponent(name))) != nil { removed += 1 }
        }
        return removed
    }
}

/// The prebuilt kernel-object folder this process's compiles read (see
/// ``AOTCompileOptions/prebuiltKernelObjects``), or nil. The recipe runner hands it to recipe
/// programs, whose executables live elsewhere.
public func prebuiltKernelObjectsFolder() -> String? {
    KernelObjectStore.prebuilt()?.root.path
}
