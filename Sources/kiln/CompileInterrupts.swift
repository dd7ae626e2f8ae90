import Dispatch
import Foundation
import Kiln

/// SIGINT and SIGTERM during `kiln compile` and `kiln bench`: the C compiler runs in a process
/// group of its own (the terminal's Ctrl-C does not reach it), so the handler kills it, removes
/// the build folder and the command's temporary folders (bench's cold caches), says what it
/// did and exits with 128 + the signal.
enum CompileInterrupts {
    /// The installed sources (a dispatch signal source stops when released).
    nonisolated(unsafe) private static var sources: [DispatchSourceSignal] = []

    static func install() {
        for sig in [SIGINT, SIGTERM] {
            signal(sig, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: sig, queue: .global())
            source.setEventHandler {
                // Listed before the compiler dies: its caller then fails, unwinds and may remove
                // its temporary folders itself before removeAll sees them.
                let registered = TemporaryFolders.shared.registered
                let (groups, builds) = CompileInterruption.stopAll()
                let temporaries = Set(registered).union(TemporaryFolders.shared.removeAll()).sorted()
                let name = sig == SIGINT ? "SIGINT" : "SIGTERM"
                let killed = groups > 0 ? "killed the C compiler (\(groups) process group\(groups == 1 ? "" : "s"))" : "no C compiler was running"
                func list(_ what: String, _ paths: [String]) -> String {
                    "\(what)\(paths.count == 1 ? "" : "s") " + paths.joined(separator: ", ")
                }
                let parts = [builds.isEmpty ? nil : list("the build folder", builds),
                             temporaries.isEmpty ? nil : list("the temporary folder", temporaries)].compactMap { $0 }
                let removed = parts.isEmpty ? "" : " and removed " + parts.joined(separator: " and ")
                let text = "kiln: interrupted by \(name): \(killed)\(removed). Nothing was written to the output or the cache. Exit code \(128 + sig).\n"
                FileHandle.standardError.write(Data(text.utf8))
                exit(128 + sig)
            }
            source.resume()
            sources.append(source)
        }
    }

    /// Parks the calling thread while the signal handler finishes and exits the process.
    static func waitForExit() -> Never {
        while true { pause() }
    }
}
