import Synchronization

/// Runs at most `maxRunning` jobs at a time, each at most once at a time (a job resumed at start
/// and one submitted again are the same job); the others wait in submission order. Waiting jobs
/// are ids and closures only: their items stay in the store.
public final class BatchScheduler: Sendable {
    public let maxRunning: Int
    private struct State {
        var running = 0
        var waiting: [(id: String, work: @Sendable () async -> Void)] = []
        var head = 0
        var active: Set<String> = []
    }
    private let state = Mutex(State())

    public init(maxRunning: Int) { self.maxRunning = max(1, maxRunning) }

    /// Runs `work` for job `id` now or when a slot frees; ignored while that job is already active.
    public func schedule(_ id: String, _ work: @escaping @Sendable () async -> Void) {
        let start: Bool = state.withLock { s in
            guard s.active.insert(id).inserted else { return false }
            if s.running < maxRunning {
                s.running += 1
                return true
            }
            s.waiting.append((id, work))
            return false
        }
        if start { launch(id, work) }
    }

    /// Jobs running or waiting.
    public var activeCount: Int { state.withLock { $0.active.count } }

    private func launch(_ id: String, _ work: @escaping @Sendable () async -> Void) {
        Task.detached {
            await work()
            self.finished(id)
        }
    }

    private func finished(_ id: String) {
        let next: (id: String, work: @Sendable () async -> Void)? = state.withLock { s in
            s.active.remove(id)
            guard s.head < s.waiting.count else {
                s.running -= 1
                s.waiting.removeAll()
                s.head = 0
                return nil
            }
            let next = s.waiting[s.head]
            s.head += 1
            return next
        }
        if let next { launch(next.id, next.work) }
    }
}
