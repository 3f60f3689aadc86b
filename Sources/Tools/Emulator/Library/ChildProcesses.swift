import Foundation
import Synchronization

/// Every `bootstrap` process the emulator started, so that a SIGTERM/SIGINT to the emulator
/// stops exactly those processes before it exits, and none is left orphaned.
public final class ChildProcesses: Sendable {
    public static let shared = ChildProcesses()

    private let pids = Mutex<Set<Int32>>([])

    func add(_ pid: Int32) { pids.withLock { _ = $0.insert(pid) } }
    func remove(_ pid: Int32) { pids.withLock { _ = $0.remove(pid) } }

    public func killAll() {
        for pid in pids.withLock({ $0 }) { kill(pid, SIGKILL) }
    }
}
