import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The running children (process group, sweeper token, output pipe), so an interrupted runner
/// can kill them all, grandchildren and stragglers included.
final class ActiveProcessGroups: @unchecked Sendable {
    static let shared = ActiveProcessGroups()
    private let lock = NSLock()
    /// Held from pipe creation to spawn and registration (see ``ChildProcess/run``).
    let spawnLock = NSLock()
    private var groups: [pid_t: (token: String, pipeInode: UInt64?)] = [:]
    private var interrupted = false

    /// True once ``interrupt()`` ran: no new child may start.
    var isInterrupted: Bool { lock.withLock { interrupted } }

    func insert(_ pgid: pid_t, token: String, pipeInode: UInt64?) {
        lock.withLock { groups[pgid] = (token, pipeInode) }
    }

    func remove(_ pgid: pid_t) { lock.withLock { _ = groups.removeValue(forKey: pgid) } }

    /// Stops new children from starting, kills every running child's process group and
    /// stragglers and removes the scratch folders; returns how many children were running. Holds the spawn lock while it
    /// works, so no spawn slips past; later spawns fail.
    @discardableResult
    func interrupt() -> Int {
        spawnLock.lock()
        defer { spawnLock.unlock() }
        let running = lock.withLock { () -> [pid_t: (token: String, pipeInode: UInt64?)] in
            interrupted = true
            return groups
        }
        for (pgid, child) in running {
            kill(-pgid, SIGKILL)
            kill(pgid, SIGKILL)  // the child, should it have left its group
            ProcessSweeper.killStragglers(token: child.token, pipeInode: child.pipeInode)
        }
        // Their scratch folders: the workers' own cleanup will not run before the exit.
        ScratchFolders.removeAll()
        return running.count
    }
}
