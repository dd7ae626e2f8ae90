import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The outcome of running a helper program (the C compiler, pkg-config).
struct ProcessResult {
    /// The exit status, or 128 + the signal that ended it.
    let status: Int32
    /// stdout and stderr, interleaved as written (compilers report on stderr).
    let output: String
    /// True when it outran its timeout and was killed with its process group.
    var timedOut = false
    /// User + system CPU seconds of the program and the children it waited for (a compiler
    /// driver's cc1 and as): what it cost, independent of how busy the machine was.
    var cpuSeconds = 0.0
    var succeeded: Bool { status == 0 && !timedOut }
}

/// A helper program that could not be started at all.
struct SpawnError: Error, CustomStringConvertible {
    let description: String
}

enum Subprocess {
    /// Runs `arguments` (found on PATH through /usr/bin/env) in `directory`, capturing output.
    ///
    /// The program runs in a process group of its own, registered with ``CompilerProcesses``
    /// (so an interrupted `kiln compile` can kill it: the terminal's Ctrl-C does not reach
    /// another group). After `timeout` seconds (nil or ≤ 0: none) the whole group is killed —
    /// a compiler driver and the `cc1` it started — and the result says `timedOut`. When the
    /// program exits, what it left running in its group is killed too.
    /// Throws only when the program cannot be started at all.
    static func run(_ arguments: [String], in directory: URL? = nil, timeout: Double? = nil) throws -> ProcessResult {
        // env -C: start in `directory` without changing this (multi-threaded) process's cwd.
        let argv = ["/usr/bin/env"] + (directory.map { ["-C", $0.path] } ?? []) + arguments
        let (pid, readEnd) = try CompilerProcesses.shared.spawn(argv)
        defer { close(readEnd) }
        defer { CompilerProcesses.shared.finished(pid) }

        let deadline = timeout.flatMap { $0 > 0 ? Date().addingTimeInterval($0) : nil }
        var output: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        var status: Int32?
        var cpuSeconds = 0.0
        var timedOut = false
        var eof = false
        var drainDeadline = Date.distantFuture
        _ = fcntl(readEnd, F_SETFL, fcntl(readEnd, F_GETFL) | O_NONBLOCK)
        while true {
            if !eof {
                var pfd = pollfd(fd: readEnd, events: Int16(POLLIN), revents: 0)
                _ = poll(&pfd, 1, 50)
                while true {
                    let n = buffer.withUnsafeMutableBytes { read(readEnd, $0.baseAddress, $0.count) }
                    if n > 0 { output += buffer[0..<n]; continue }
                    if n == 0 { eof = true }
                    if n < 0 && errno == EINTR { continue }
                    break
                }
            } else {
                usleep(1_000)   // the pipe closes just before the exit is reapable: poll it closely
            }
            if status == nil {
                var raw: Int32 = 0
                var usage = rusage()
                if wait4(pid, &raw, WNOHANG, &usage) == pid {
                    cpuSeconds = Double(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec)
                        + Double(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6
                    status = (raw & 0x7F) == 0 ? (raw >> 8) & 0xFF : 128 + (raw & 0x7F)
                    kill(-pid, SIGKILL)          // whatever it left running in its group
                    drainDeadline = Date().addingTimeInterval(2)
                } else if !timedOut, let deadline, Date() >= deadline {
                    kill(-pid, SIGKILL)
                    timedOut = true
                }
            }
            // A descendant that left the group may hold the pipe: stop reading soon after the exit.
            if status != nil && (eof || Date() >= drainDeadline) { break }
        }
        return ProcessResult(status: status ?? -1, output: String(decoding: output, as: UTF8.self), timedOut: timedOut,
                             cpuSeconds: cpuSeconds)
    }
}
