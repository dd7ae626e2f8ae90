import Foundation

/// The outcome of running a helper program (the C compiler, pkg-config).
struct ProcessResult {
    let status: Int32
    /// stdout and stderr, interleaved as written (compilers report on stderr).
    let output: String
    var succeeded: Bool { status == 0 }
}

enum Subprocess {
    /// Runs `arguments` (found on PATH through /usr/bin/env) in `directory`, capturing output.
    /// Throws only when the program cannot be started at all.
    static func run(_ arguments: [String], in directory: URL? = nil) throws -> ProcessResult {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = arguments
        if let directory { p.currentDirectoryURL = directory }
        // One pipe for both streams: read to the end before waiting, so a chatty compiler
        // can never block on a full pipe.
        let pipe = Pipe()
        p.standardOutput = pipe
        p.standardError = pipe
        try p.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return ProcessResult(status: p.terminationStatus, output: String(decoding: data, as: UTF8.self))
    }
}
