import Dispatch
import Foundation
import Kiln

/// SIGINT and SIGTERM during `kiln compile`: the C compiler runs in a process group of its
/// own (the terminal's Ctrl-C does not reach it), so the handler kills it, removes the build
/// folder, says what it did and exits with 128 + the signal.
enum CompileInterrupts {
    /// The installed sources (a dispatch signal source stops when released).
    nonisolated(unsafe) private static var sources: [DispatchSourceSignal] = []

    static func install() {
        for sig in [SIGINT, SIGTERM] {
            signal(sig, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: sig, queue: .global())
            source.setEventHandler {
                let (groups, folders) = CompileInterruption.stopAll()
                let name = sig == SIGINT ? "SIGINT" : "SIGTERM"
                let killed = groups > 0 ? "killed the C compiler (\(groups) process group\(groups == 1 ? "" : "s"))" : "no C compiler was running"
                let removed = folders.isEmpty ? "" : " and removed the build folder\(folders.count == 1 ? "" : "s") " + folders.joined(separator: ", ")
                let text = "kiln: interrupted by \(name): \(killed)\(removed). Nothing was written to the output or the cache. Exit code \(128 + sig).\n"
                FileHandle.standardError.write(Data(text.utf8))
                exit(128 + sig)
            }
            source.resume()
            sources.append(source)
        }
    }
}
