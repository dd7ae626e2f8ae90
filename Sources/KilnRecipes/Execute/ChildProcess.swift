import Foundation
import Kiln
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Runs a program as a child in its own process group, with stdout and stderr merged into one
/// pipe (so their order is kept), stdin from `/dev/null`, and the ability to kill the whole group
/// (grandchildren included) and the child itself, wherever it moved, with SIGKILL. Nothing it
/// starts outlives it: when the child ends, its group is killed, and so are descendants that
/// left the group (see ``ProcessSweeper``).
///
/// Spawned with `posix_spawn` + `POSIX_SPAWN_SETPGROUP`; the pipe is made close-on-exec under a
/// lock so that children spawned concurrently by other jobs never inherit each other's pipes.
enum ChildProcess {
    /// How the child ended.
    enum Termination: Equatable {
        case exited(Int32)
        case signaled(Int32)
    }

    /// Runs `path` with `arguments` (not including argv[0]) and `environment`.
    ///
    /// - `inherit` maps descriptors of the child to descriptors of this process it receives
    ///   (a private channel, such as a recipe program's marker secret).
    /// - `onOutput` receives the merged output as it arrives.
    /// - `shouldKill` is polled at least every 50 ms; when it returns true the group is killed.
    /// After the child exits, the rest of its group is killed too and the pipe drained.
    /// - `workingDirectory` is the child's current directory (nil: this process's).
    static func run(path: String, arguments: [String], environment: [String: String], inherit: [Int32: Int32] = [:],
                    workingDirectory: String? = nil, onOutput: (ArraySlice<UInt8>) -> Void, shouldKill: () -> Bool) throws -> Termination {
        // pipe() then FD_CLOEXEC is not atomic: hold the spawn lock from pipe creation to
        // spawn so that no concurrent spawn inherits this pipe's write end.
        ActiveProcessGroups.shared.spawnLock.lock()
        // An interrupted runner is exiting: start nothing that could outlive it.
        guard !ActiveProcessGroups.shared.isInterrupted else {
            ActiveProcessGroups.shared.spawnLock.unlock()
            throw RecipeError(.internalError, "cannot start \(path): the runner is being interrupted")
        }
        var fds: [Int32] = [0, 0]
        guard pipe(&fds) == 0 else {
            ActiveProcessGroups.shared.spawnLock.unlock()
            throw spawnError(path, "pipe")
        }
        let readEnd = fds[0], writeEnd = fds[1]
        _ = fcntl(readEnd, F_SETFD, FD_CLOEXEC)
        _ = fcntl(writeEnd, F_SETFD, FD_CLOEXEC)
        defer { close(readEnd) }

        // Descendants inherit the token, so the sweeper finds those that leave the group.
        let token = ProcessSweeper.newToken()
        var environment = environment
        environment[ProcessSweeper.variable] = ProcessSweeper.appending(token, to: environment[ProcessSweeper.variable])
        let pipeInode = ProcessSweeper.pipeInode(readEnd)
        let spawned = GroupSpawn.spawn([path] + arguments, environment: environment, output: writeEnd, inherit: inherit,
                                        workingDirectory: workingDirectory,
                                        defaultSignals: [SIGPIPE, SIGINT, SIGTERM, SIGQUIT, SIGHUP, SIGCHLD, SIGUSR1, SIGUSR2])
        close(writeEnd)
        // Registered before the spawn lock is released, so an interrupt (which takes the lock)
        // either finds this child or prevents its spawn.
        if case .success(let pid) = spawned { ActiveProcessGroups.shared.insert(pid, token: token, pipeInode: pipeInode) }
        ActiveProcessGroups.shared.spawnLock.unlock()
        let pid: pid_t
        switch spawned {
        case .success(let p): pid = p
        case .failure(let why): throw spawnError(path, why.description)
        }
        defer { ActiveProcessGroups.shared.remove(pid) }

        _ = fcntl(readEnd, F_SETFL, fcntl(readEnd, F_GETFL) | O_NONBLOCK)
        var buffer = [UInt8](repeating: 0, count: 65536)
        var status: Int32?
        var eof = false
        var drainDeadline = Date.distantFuture
        var killed = false
        var lastSweep = Date.distantPast
        while true {
            if !eof {
                var pfd = pollfd(fd: readEnd, events: Int16(POLLIN), revents: 0)
                _ = poll(&pfd, 1, 50)
                readLoop: while true {
                    let n = buffer.withUnsafeMutableBytes { read(readEnd, $0.baseAddress, $0.count) }
                    if n > 0 {
                        onOutput(buffer[0..<n])
                    } else if n == 0 {
                        eof = true
                        break readLoop
                    } else {
                        if errno == EINTR { continue }
                        break readLoop  // EAGAIN: nothing more for now
                    }
                }
            } else {
                usleep(20_000)
            }
            if status == nil && !killed && shouldKill() {
                // The child itself too: it may have left its group (setpgid), which the
                // group kill then no longer reaches.
                kill(-pid, SIGKILL)
                kill(pid, SIGKILL)
                killed = true
            }
            if status == nil {
                var raw: Int32 = 0
                let r = waitpid(pid, &raw, WNOHANG)
                if r == pid {
                    status = raw
                    // Processes a program starts live no longer than it does: take down its
                    // group and every straggler that left the group (see ProcessSweeper).
                    kill(-pid, SIGKILL)
                    ProcessSweeper.killStragglers(token: token, pipeInode: nil)
                    lastSweep = Date()
                    drainDeadline = Date().addingTimeInterval(2)
                }
            } else if !eof && Date().timeIntervalSince(lastSweep) > 0.1 {
                // Something still holds the pipe (a straggler forked during the last sweep,
                // or one that cleared its environment): sweep again, pipe holders included.
                ProcessSweeper.killStragglers(token: token, pipeInode: pipeInode)
                lastSweep = Date()
            }
            if let s = status, eof || Date() > drainDeadline {
                let signal = s & 0x7f
                return signal == 0 ? .exited((s >> 8) & 0xff) : .signaled(signal)
            }
        }
    }

    private static func spawnError(_ path: String, _ what: String) -> RecipeError {
        RecipeError(.internalError, "cannot start \(path): \(what)",
                    suggestion: "Suggested fix: check that the file exists and is executable.")
    }

    /// A readable name for a signal: `SIGSEGV (segmentation fault)`.
    static func signalName(_ signal: Int32) -> String {
        let names: [Int32: String] = [
            SIGILL: "SIGILL (illegal instruction, a Swift trap)", SIGTRAP: "SIGTRAP (trace trap, a Swift trap)",
            SIGABRT: "SIGABRT (abort)", SIGSEGV: "SIGSEGV (segmentation fault)", SIGBUS: "SIGBUS (bus error)",
            SIGFPE: "SIGFPE (arithmetic exception)", SIGKILL: "SIGKILL (killed)", SIGTERM: "SIGTERM (terminated)",
            SIGINT: "SIGINT (interrupted)", SIGPIPE: "SIGPIPE (broken pipe)", SIGHUP: "SIGHUP (hangup)",
            SIGQUIT: "SIGQUIT (quit)", SIGXCPU: "SIGXCPU (CPU time limit)",
        ]
        return names[signal] ?? "signal \(signal)"
    }
}
