import Foundation
internal import CKilnKernels

/// Kiln's kernel sources, as embedded in libKiln (`kiln_embedded_sources.c`, C23 `#embed`):
/// written next to each generated `model.c`, so a build never reads Kiln's source tree.
enum KernelSources {
    /// (file name, text) pairs, headers first.
    static let files: [(name: String, text: String)] = {
        var count = 0
        guard let base = kiln_embedded_sources(&count) else { return [] }
        return (0..<count).map { i in
            let f = base[i]
            let bytes = UnsafeRawBufferPointer(start: f.text, count: f.length)
            return (String(cString: f.name), String(decoding: bytes, as: UTF8.self))
        }
    }()

    /// The `.c` files to compile (headers are only written).
    static var compilationUnits: [String] { files.map(\.name).filter { $0.hasSuffix(".c") } }

    /// Writes every file into `directory`.
    static func write(to directory: URL) throws {
        for f in files {
            try Data(f.text.utf8).write(to: directory.appendingPathComponent(f.name))
        }
    }
}
