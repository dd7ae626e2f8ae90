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
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_adddup2(&actions, output, 1)
        posix_spawn_file_actions_adddup2(&actions, output, 2)
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK))
        posix_spawnattr_setpgroup(&attributes, 0)
        var defaults = sigset_t(), mask = sigset_t()
        sigemptyset(&defaults)
        for s in [SIGPIPE, SIGINT, SIGTERM, SIGHUP, SIGCHLD] { sigaddset(&defaults, s) }
        sigemptyset(&mask)
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        posix_spawnattr_setsigmask(&attributes, &mask)
        let cArgs = argv.map { strdup($0) } + [nil]
        defer { cArgs.forEach { free($0) } }

        var pid: pid_t = 0
        let rc = posix_spawn(&pid, argv[0], &actions, &attributes, cArgs, environ)
        guard rc == 0 else {
            close(readEnd)
            throw SpawnError(description: "cannot start \(argv[0]): \(String(cString: strerror(rc)))")
        }
        groups.insert(pid)
        return (pid, readEnd)
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
}
