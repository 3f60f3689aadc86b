import CProcessSpawn
import SwitchyardCore
import Synchronization

/// Every `bootstrap` process the emulator started: spawned, watched and reaped by one thread
/// that lives as long as the process.
///
/// Why one long-lived thread: `PR_SET_PDEATHSIG` fires when the *thread* that forked the child
/// exits, not the process. Forking from a Swift concurrency or Dispatch worker (which exits when
/// idle) would kill healthy children at random; forking from this thread means the signal fires
/// exactly when the emulator dies, SIGKILL included. Each child runs in its own process group
/// (`CProcessSpawn`), so `killAll` and `kill` take down whatever a bootstrap started as well.
/// The same thread waits on each child's pidfd and reaps it, so no zombie is left behind and no
/// other part of the process (nor another library's children) is disturbed by `waitpid(-1)`.
public final class ChildProcesses: @unchecked Sendable {
    public static let shared = ChildProcesses()

    /// How a child ended.
    public enum ExitStatus: Sendable, Equatable, CustomStringConvertible {
        case exited(Int32)
        case signaled(Int32)

        /// As Lambda words it: `exit status 3`, `signal: killed`.
        public var description: String {
            switch self {
            case .exited(let code): "exit status \(code)"
            case .signaled(SIGKILL): "signal: killed"
            case .signaled(let signal): "signal: \(signal)"
            }
        }
    }

    public struct SpawnError: Error, CustomStringConvertible {
        public var path: String
        public var errno: Int32
        public var description: String { "cannot start \(path): \(String(cString: strerror(errno)))" }
    }

    private struct Request {
        var path: String
        var environment: [String]
        var directory: String
        var onExit: @Sendable (ExitStatus) -> Void
        var reply: CheckedContinuation<Int32, any Error>
    }

    private struct Child {
        var pidfd: Int32
        var onExit: @Sendable (ExitStatus) -> Void
    }

    private struct State {
        var requests: [Request] = []
        var children: [Int32: Child] = [:]
    }

    private let state = Mutex(State())
    /// A self-pipe that wakes the supervisor thread for new spawn requests.
    private let wakeRead: Int32
    private let wakeWrite: Int32

    private init() {
        var ends: [Int32] = [-1, -1]
        _ = pipe(&ends)
        for end in ends {
            // Set before the supervisor thread exists, so no fork can inherit the pipe.
            _ = fcntl(end, F_SETFD, FD_CLOEXEC)
            _ = fcntl(end, F_SETFL, O_NONBLOCK)
        }
        (wakeRead, wakeWrite) = (ends[0], ends[1])
        var thread = pthread_t()
        let box = Unmanaged.passRetained(self).toOpaque()
        pthread_create(
            &thread, nil,
            { raw in
                let supervisor = Unmanaged<ChildProcesses>.fromOpaque(raw!).takeRetainedValue()
                supervisor.run()
                return nil
            }, box)
        pthread_detach(thread)
    }

    /// Starts `path` (see `switchyard_spawn` for what the child inherits) and returns its pid;
    /// `onExit` runs on the supervisor thread once the child has exited and been reaped.
    /// - Throws: `SpawnError` when the program cannot be started (missing, not executable).
    public func spawn(
        path: String, environment: [String: String], directory: String,
        onExit: @escaping @Sendable (ExitStatus) -> Void
    ) async throws -> Int32 {
        let pairs = environment.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }
        return try await withCheckedThrowingContinuation { reply in
            state.withLock {
                $0.requests.append(
                    Request(path: path, environment: pairs, directory: directory, onExit: onExit, reply: reply))
            }
            var one: UInt8 = 1
            _ = write(wakeWrite, &one, 1)
        }
    }

    /// SIGKILLs a child's whole process group.
    public func killGroup(_ pid: Int32) {
        guard pid > 0, state.withLock({ $0.children[pid] != nil }) else { return }
        _ = kill(-pid, SIGKILL)
    }

    /// SIGKILLs every child's process group (emulator shutdown).
    public func killAll() {
        for pid in state.withLock({ Array($0.children.keys) }) { _ = kill(-pid, SIGKILL) }
    }

    /// Pids of the children still running (tests).
    public var running: [Int32] { state.withLock { Array($0.children.keys) } }

    // MARK: - The supervisor thread

    private func run() {
        while true {
            let watched = state.withLock { $0.children.map { (pid: $0.key, pidfd: $0.value.pidfd) } }
            var fds = [pollfd(fd: wakeRead, events: Int16(POLLIN), revents: 0)]
            fds += watched.map { pollfd(fd: $0.pidfd, events: Int16(POLLIN), revents: 0) }
            // Children without a pidfd (kernels before 5.3) are polled with WNOHANG instead.
            let timeout: Int32 = watched.contains { $0.pidfd < 0 } ? 50 : -1
            let ready = fds.withUnsafeMutableBufferPointer { poll($0.baseAddress, nfds_t($0.count), timeout) }
            if ready < 0 && errno != EINTR { usleep(10_000) }
            if fds[0].revents != 0 {
                var drain = [UInt8](repeating: 0, count: 64)
                while read(wakeRead, &drain, drain.count) > 0 {}
            }
            for request in state.withLock({ state -> [Request] in
                defer { state.requests = [] }
                return state.requests
            }) {
                start(request)
            }
            for (index, child) in watched.enumerated() where child.pidfd < 0 || fds[index + 1].revents != 0 {
                reap(child.pid)
            }
        }
    }

    private func start(_ request: Request) {
        var arguments: [UnsafeMutablePointer<CChar>?] = [strdup(request.path), nil]
        var environment: [UnsafeMutablePointer<CChar>?] = request.environment.map { strdup($0) } + [nil]
        defer {
            for pointer in arguments { free(pointer) }
            for pointer in environment { free(pointer) }
        }
        var pidfd: Int32 = -1
        let pid = switchyard_spawn(request.path, &arguments, &environment, request.directory, &pidfd)
        guard pid > 0 else {
            request.reply.resume(throwing: SpawnError(path: request.path, errno: -pid))
            return
        }
        state.withLock { $0.children[pid] = Child(pidfd: pidfd, onExit: request.onExit) }
        request.reply.resume(returning: pid)
    }

    private func reap(_ pid: Int32) {
        var status: Int32 = 0
        let result = waitpid(pid, &status, WNOHANG)
        guard result == pid || (result < 0 && errno == ECHILD) else { return }
        guard let child = state.withLock({ $0.children.removeValue(forKey: pid) }) else { return }
        if child.pidfd >= 0 { close(child.pidfd) }
        // WIFEXITED/WIFSIGNALED are macros Swift cannot import; these are their definitions. A
        // child someone else reaped (ECHILD) leaves no status: report it as killed.
        let exitStatus: ExitStatus =
            result < 0
            ? .signaled(SIGKILL) : status & 0x7F == 0 ? .exited((status >> 8) & 0xFF) : .signaled(status & 0x7F)
        child.onExit(exitStatus)
    }
}
