import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Starting a helper process the way Kiln's C compilers and recipe programs start: in a new
/// process group of its own (so it and its descendants can be killed together, and a
/// terminal's Ctrl-C reaches Kiln, which decides), stdin from /dev/null, stdout and stderr
/// into one descriptor, no signal blocked and the given signals at their default action
/// (whatever Kiln ignores or handles must not leak into the child).
package enum GroupSpawn {
    /// Spawns `argv` (`argv[0]` is the path) with `environment` (`nil`: this process's),
    /// writing to `output`, with `inherit` (child fd → parent fd) duplicated in and, when
    /// given, `workingDirectory` as its current directory. Returns the pid, or the error
    /// (`errno` value or a sentence) that stopped the spawn.
    package static func spawn(_ argv: [String], environment: [String: String]? = nil, output: Int32,
                              inherit: [Int32: Int32] = [:], workingDirectory: String? = nil,
                              defaultSignals: [Int32]) -> Result<pid_t, SpawnFailure> {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_adddup2(&actions, output, 1)
        posix_spawn_file_actions_adddup2(&actions, output, 2)
        for (child, parent) in inherit.sorted(by: { $0.key < $1.key }) {
            posix_spawn_file_actions_adddup2(&actions, parent, child)
        }
        if let workingDirectory {
            guard let addChdir, addChdir(&actions, workingDirectory) == 0 else {
                return .failure(.message("cannot start it in \(workingDirectory) (needs glibc ≥ 2.29's posix_spawn_file_actions_addchdir_np)"))
            }
        }
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK))
        posix_spawnattr_setpgroup(&attributes, 0)
        var defaults = sigset_t(), mask = sigset_t()
        sigemptyset(&defaults)
        for s in defaultSignals { sigaddset(&defaults, s) }
        sigemptyset(&mask)
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        posix_spawnattr_setsigmask(&attributes, &mask)

        let cArgs = argv.map { strdup($0) } + [nil]
        let envp = environment.map { $0.sorted { $0.key < $1.key }.map { strdup("\($0.key)=\($0.value)") } + [nil] }
        defer {
            cArgs.forEach { free($0) }
            envp?.forEach { free($0) }
        }
        var pid: pid_t = 0
        let rc = envp.map { posix_spawn(&pid, argv[0], &actions, &attributes, cArgs, $0) }
            ?? posix_spawn(&pid, argv[0], &actions, &attributes, cArgs, environ)
        return rc == 0 ? .success(pid) : .failure(.errno(rc))
    }

    /// Why a spawn failed.
    package enum SpawnFailure: Error, CustomStringConvertible {
        case errno(Int32)
        case message(String)

        package var description: String {
            switch self {
            case .errno(let code): return String(cString: strerror(code))
            case .message(let text): return text
            }
        }
    }

    /// `posix_spawn_file_actions_addchdir_np`, looked up at run time (glibc ≥ 2.29): the
    /// working directory must be set by the spawn itself; a `chdir` in this process would move
    /// every thread of it.
    private static let addChdir: (@convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, UnsafePointer<CChar>) -> Int32)? = {
        guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "posix_spawn_file_actions_addchdir_np") else { return nil }
        return unsafeBitCast(symbol, to: (@convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, UnsafePointer<CChar>) -> Int32).self)
    }()
}
