import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The C compilers (and other helpers) Kiln is running, each in its own process group, and
/// the build folders of compiles in progress: what an interrupt must kill and remove.
final class CompilerProcesses: @unchecked Sendable {
    static let shared = CompilerProcesses()

    private let lock = NSLock()
    private var groups = Set<pid_t>()
    private var buildFolders = Set<String>()
    private var interrupted = false

    /// Spawns `argv` in a new process group, stdin from /dev/null, stdout and stderr into one
    /// pipe whose read end is returned, with default signal dispositions. Registered before
    /// the lock is released, so an interrupt either finds it or prevents the spawn.
    func spawn(_ argv: [String]) throws -> (pid: pid_t, output: Int32) {
        lock.lock()
        defer { lock.unlock() }
        guard !interrupted else { throw SpawnError(description: "Kiln is being interrupted; \(argv.last ?? "") not started") }
        // pipe() then FD_CLOEXEC is not atomic: made under the lock, so that no compiler
        // spawned concurrently inherits this pipe (it would hold the write end open).
        var fds: [Int32] = [0, 0]
        guard pipe(&fds) == 0 else { throw SpawnError(description: "pipe: \(String(cString: strerror(errno)))") }
        let (readEnd, output) = (fds[0], fds[1])
        _ = fcntl(readEnd, F_SETFD, FD_CLOEXEC)
        _ = fcntl(output, F_SETFD, FD_CLOEXEC)
        defer { close(output) }
        switch GroupSpawn.spawn(argv, output: output, defaultSignals: [SIGPIPE, SIGINT, SIGTERM, SIGHUP, SIGCHLD]) {
        case .success(let pid):
            groups.insert(pid)
            return (pid, readEnd)
        case .failure(let why):
            close(readEnd)
            throw SpawnError(description: "cannot start \(argv[0]): \(why)")
        }
    }

    /// The process `pid` was reaped.
    func finished(_ pid: pid_t) {
        lock.withLock { _ = groups.remove(pid) }
    }

    /// A compile is building in `folder` (removed by an interrupt until ``leaveBuildFolder(_:)``).
    func enterBuildFolder(_ folder: String) {
        lock.withLock { _ = buildFolders.insert(folder) }
    }

    /// The compile in `folder` is over (its folder installed, kept for inspection or removed).
    func leaveBuildFolder(_ folder: String) {
        lock.withLock { _ = buildFolders.remove(folder) }
    }

    /// Kills every registered process group, removes every build folder in progress and
    /// refuses new spawns (the process is about to exit).
    /// True once ``interrupt()`` ran.
    var isInterrupted: Bool { lock.withLock { interrupted } }

    func interrupt() -> (processGroups: Int, removedFolders: [String]) {
        lock.lock()
        defer { lock.unlock() }
        interrupted = true
        for pid in groups { kill(-pid, SIGKILL) }
        let folders = buildFolders.sorted()
        for folder in folders { try? FileManager.default.removeItem(atPath: folder) }
        buildFolders.removeAll()
        return (groups.count, folders)
    }
}

/// Stopping compiles in progress when the process is interrupted (the `kiln` CLI calls it
/// from its SIGINT/SIGTERM handler): compilers run in process groups of their own, so the
/// terminal's Ctrl-C does not reach them, and their build folders can be large.
public enum CompileInterruption {
    /// Kills every running C compiler with its process group, removes the build folders of
    /// compiles in progress and refuses to start new compilers. Returns how many groups were
    /// killed and which folders were removed.
    public static func stopAll() -> (processGroups: Int, removedFolders: [String]) {
        CompilerProcesses.shared.interrupt()
    }

    /// True once ``stopAll()`` ran: a compile that fails from now on failed because of it.
    public static var isInterrupted: Bool { CompilerProcesses.shared.isInterrupted }
}
