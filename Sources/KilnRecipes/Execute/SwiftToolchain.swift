import Foundation

/// The Swift compiler used to build recipe programs, and the Kiln build they link against.
public struct SwiftToolchain: Sendable {
    /// Path of `swiftc`.
    public var swiftc: String
    /// The first line of `swiftc --version` (part of the cache key).
    public var version: String

    /// Finds `swiftc`: `$SWIFTC`, else next to `swift` on `PATH`, else `/opt/swift/usr/bin/swiftc`,
    /// else `swiftc` on `PATH`; and asks it for its version.
    public static func locate(environment: [String: String] = ProcessInfo.processInfo.environment) throws -> SwiftToolchain {
        let fm = FileManager.default
        var candidates: [String] = []
        if let explicit = environment["SWIFTC"], !explicit.isEmpty { candidates.append(explicit) }
        let path = (environment["PATH"] ?? "").split(separator: ":").map(String.init)
        candidates += path.map { "\($0)/swift" }.filter { fm.isExecutableFile(atPath: $0) }
            .map { (($0 as NSString).deletingLastPathComponent as NSString).appendingPathComponent("swiftc") }
        candidates.append("/opt/swift/usr/bin/swiftc")
        candidates += path.map { "\($0)/swiftc" }
        guard let swiftc = candidates.first(where: { fm.isExecutableFile(atPath: $0) }) else {
            throw RecipeError(.badInput, "cannot find swiftc to compile recipes",
                              suggestion: "Suggested fix: set SWIFTC=/path/to/swiftc or put the Swift toolchain on PATH.")
        }
        var output: [UInt8] = []
        // swiftc leaves an empty `TemporaryDirectory.*` in `$TMPDIR` even for --version.
        let scratch = try ScratchFolders.create()
        defer { ScratchFolders.remove(scratch) }
        var environment = environment
        environment["TMPDIR"] = scratch
        let end = try ChildProcess.run(path: swiftc, arguments: ["--version"], environment: environment,
                                       onOutput: { output += $0 }, shouldKill: { false })
        let text = String(decoding: output, as: UTF8.self)
        guard end == .exited(0) else {
            throw RecipeError(.badInput, "\(swiftc) --version failed: \(text)",
                              suggestion: "Suggested fix: set SWIFTC to a working swiftc.")
        }
        let version = text.split(separator: "\n").first { $0.contains("Swift version") }.map(String.init) ?? text.trimmingWhitespace()
        return SwiftToolchain(swiftc: swiftc, version: version)
    }

    /// Creates a toolchain description without probing.
    public init(swiftc: String, version: String) {
        self.swiftc = swiftc
        self.version = version
    }
}

/// Where the already-built Kiln library is: the directory holding `libKiln.so` and `Modules/`.
public enum KilnBuild {
    /// The directory of the running executable (where SwiftPM puts `kiln` beside `libKiln.so`).
    public static func defaultDirectory() -> String {
        if let exe = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe") {
            return (exe as NSString).deletingLastPathComponent
        }
        return Bundle.main.executableURL?.deletingLastPathComponent().path ?? "."
    }

    /// The library file name on this platform.
    public static var libraryName: String {
        #if os(macOS)
        return "libKiln.dylib"
        #else
        return "libKiln.so"
        #endif
    }

    /// Checks that `directory` holds the library and `Modules/Kiln.swiftmodule`.
    public static func validate(_ directory: String) throws {
        let fm = FileManager.default
        let lib = (directory as NSString).appendingPathComponent(libraryName)
        let module = (directory as NSString).appendingPathComponent("Modules/Kiln.swiftmodule")
        guard fm.fileExists(atPath: lib), fm.fileExists(atPath: module) else {
            throw RecipeError(.badInput, "\(directory) does not hold a built Kiln (\(libraryName) and Modules/Kiln.swiftmodule)",
                              suggestion: "Suggested fix: run `swift build` first, or pass the build directory that contains \(libraryName).")
        }
    }

    /// A cache identity for the build in `directory`: the library's and module's sizes and
    /// modification times. Rebuilding Kiln changes it, so cached recipes re-run.
    public static func identity(of directory: String) -> String {
        let fm = FileManager.default
        let files = [libraryName, "Modules/Kiln.swiftmodule"].map { (directory as NSString).appendingPathComponent($0) }
        return files.map { path -> String in
            let attributes = (try? fm.attributesOfItem(atPath: path)) ?? [:]
            let size = (attributes[.size] as? NSNumber)?.int64Value ?? -1
            let mtime = (attributes[.modificationDate] as? Date)?.timeIntervalSince1970 ?? 0
            return "\((path as NSString).lastPathComponent):\(size):\(Int64(mtime * 1000))"
        }.joined(separator: ";")
    }

    /// `-Xcc -fmodule-map-file=…` flags for the C modules Kiln was built with.
    ///
    /// Kiln imports its C targets with `internal import`, but a debug build compiled with
    /// `-enable-testing` (SwiftPM's default) still makes clients load them. SwiftPM does not copy
    /// their module maps into the build directory's `Modules/`, so this collects
    /// `<bin>/*.build/module.modulemap` (generated for C targets) and, in the package that holds
    /// `<bin>` (found by walking up to `Package.swift`), `Sources/*/module.modulemap` and
    /// `Sources/*/include/module.modulemap` (system-library and C targets), and the same in the
    /// scratch directory's `checkouts/` (dependencies' C modules). Extra maps are harmless: a
    /// module is only loaded when imported.
    public static func clangModuleFlags(for directory: String) -> [String] {
        let fm = FileManager.default
        var maps: [String] = []
        let entries = ((try? fm.contentsOfDirectory(atPath: directory)) ?? []).sorted()
        for entry in entries where entry.hasSuffix(".build") {
            let map = (directory as NSString).appendingPathComponent(entry + "/module.modulemap")
            if fm.fileExists(atPath: map) { maps.append(map) }
        }
        func targetMaps(_ sources: String) {
            for target in ((try? fm.contentsOfDirectory(atPath: sources)) ?? []).sorted() {
                for candidate in ["module.modulemap", "include/module.modulemap"] {
                    let map = "\(sources)/\(target)/\(candidate)"
                    if fm.fileExists(atPath: map) { maps.append(map) }
                }
            }
        }
        var dir = (directory as NSString).standardizingPath
        while dir != "/" && !dir.isEmpty {
            // The build's scratch directory: its checked-out dependencies' C modules (ZIPFoundation's
            // CZlib, which Kiln's .pth reader loads through ZIPFoundation).
            let checkouts = (dir as NSString).appendingPathComponent("checkouts")
            for package in ((try? fm.contentsOfDirectory(atPath: checkouts)) ?? []).sorted() {
                targetMaps("\(checkouts)/\(package)/Sources")
            }
            if fm.fileExists(atPath: (dir as NSString).appendingPathComponent("Package.swift")) {
                targetMaps((dir as NSString).appendingPathComponent("Sources"))
                break
            }
            dir = (dir as NSString).deletingLastPathComponent
        }
        return maps.flatMap { ["-Xcc", "-fmodule-map-file=" + $0] }
    }
}
