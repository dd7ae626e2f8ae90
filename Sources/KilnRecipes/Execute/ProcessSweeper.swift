import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Finds and kills the processes a recipe program left behind outside its process group.
///
/// Killing a child's process group does not reach descendants that moved to a group of their
/// own: Foundation's `Process` puts every program it starts in a new group, and `setsid` or a
/// daemonising fork do the same. Such a straggler would outlive the recipe and, while it holds
/// the inherited output pipe, keep the runner waiting for end of file. So every child gets a
/// random token in its environment (``variable``), which its descendants inherit, and after the
/// child ends the sweeper kills every process whose environment carries the token or which
/// holds the child's output pipe open (that catches descendants started with a cleared
/// environment while they still write to the recipe's output).
///
/// Linux only (it reads `/proc`); elsewhere it does nothing and the runner falls back to
/// waiting at most two seconds for the pipe.
enum ProcessSweeper {
    /// The environment variable carrying a child's token.
    static let variable = "KILN_PROCESS_TOKEN"

    /// A new random token (32 hex digits).
    static func newToken() -> String {
        RandomHex.string(words: 2)
    }

    /// The variable's value for a child: the inherited tokens plus `token`, comma-separated, so
    /// that a runner started by a recipe (a nested `kiln run`) does not hide its children from
    /// the outer runner's sweep.
    static func appending(_ token: String, to inherited: String?) -> String {
        guard let inherited, !inherited.isEmpty else { return token }
        return inherited + "," + token
    }

    /// The inode of the pipe open on `fd`, to recognise it in `/proc/<pid>/fd`.
    static func pipeInode(_ fd: Int32) -> UInt64? {
        var st = stat()
        guard fstat(fd, &st) == 0 else { return nil }
        return UInt64(st.st_ino)
    }

    /// Sends SIGKILL to every process other than this one whose environment holds
    /// `variable=token` or which has the pipe `pipeInode` open; returns how many it signalled.
    @discardableResult
    static func killStragglers(token: String, pipeInode: UInt64?) -> Int {
        #if os(Linux)
        let key = Array("\(variable)=".utf8), tokenBytes = Array(token.utf8)
        let pipeLink = pipeInode.map { "pipe:[\($0)]" }
        let me = getpid()
        var killed = 0
        guard let dir = opendir("/proc") else { return 0 }
        defer { closedir(dir) }
        while let entry = readdir(dir) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(cString: raw.bindMemory(to: CChar.self).baseAddress!)
            }
            guard let pid = Int32(name), pid != me else { continue }
            if environment(of: pid, key: key, holds: tokenBytes) || pipeLink.map({ holds(pid, link: $0) }) == true {
                if kill(pid, SIGKILL) == 0 { killed += 1 }
            }
        }
        return killed
        #else
        return 0
        #endif
    }

    /// Whether `/proc/<pid>/environ` (NUL-separated `KEY=VALUE` entries) has the entry `key`
    /// (`KILN_PROCESS_TOKEN=`) with `token` among its comma-separated values.
    private static func environment(of pid: Int32, key: [UInt8], holds token: [UInt8]) -> Bool {
        let fd = open("/proc/\(pid)/environ", O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var data: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 16384)
        while true {
            let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n <= 0 { break }
            data += buffer[0..<n]
        }
        for entry in data.split(separator: 0) where entry.starts(with: key) {
            return entry.dropFirst(key.count).split(separator: UInt8(ascii: ",")).contains { $0.elementsEqual(token) }
        }
        return false
    }

    /// Whether one of `pid`'s file descriptors is `link` (`pipe:[inode]`).
    private static func holds(_ pid: Int32, link: String) -> Bool {
        let fdDirectory = "/proc/\(pid)/fd"
        guard let dir = opendir(fdDirectory) else { return false }
        defer { closedir(dir) }
        var target = [CChar](repeating: 0, count: 64)  // `pipe:[inode]` fits
        while let entry = readdir(dir) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(cString: raw.bindMemory(to: CChar.self).baseAddress!)
            }
            guard Int(name) != nil else { continue }
            let n = readlink("\(fdDirectory)/\(name)", &target, target.count)
            guard n > 0 else { continue }
            if String(decoding: target[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self) == link { return true }
        }
        return false
    }
}
