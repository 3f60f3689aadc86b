import SwitchyardCore
import Synchronization

/// Reports an invocation as timed out when its handler overruns the deadline, without costing
/// the common path anything.
///
/// Why a thread and not a timer task: the loop runs each handler inline, in its own task, so a
/// warm invocation involves no task creation and no thread hop (each hop costs tens of
/// microseconds). A watchdog thread, armed and disarmed under a mutex, wakes only when a
/// deadline passes. It then settles the invocation — exactly one of the loop and the watchdog
/// reports it, decided by `settle` — posts `Sandbox.Timedout` over its own Runtime API
/// connection, and cancels the loop's task so a cooperative handler stops early.
///
/// A streamed response is different: once its first byte is out, only the loop's connection can
/// end it. The loop claims the invocation when it starts streaming (`claimForStream`); a deadline
/// that passes afterwards only marks the invocation as timed out and cancels the task, and the
/// loop ends the stream with the `Sandbox.Timedout` trailer.
final class DeadlineWatchdog: @unchecked Sendable {
    /// Called on the watchdog thread when an armed invocation times out. `streaming`: the loop
    /// owns the answer (it started streaming); only cancel.
    typealias Expiry = @Sendable (_ requestID: String, _ allowedMilliseconds: Int64, _ streaming: Bool) -> Void

    private var mutex = pthread_mutex_t()
    private var condition = pthread_cond_t()
    // Guarded by `mutex`.
    private var armed:
        (generation: Int, requestID: String, fireAtMilliseconds: Int64, allowed: Int64, onExpiry: Expiry)?
    /// What the watchdog thread sleeps until. `arm` wakes it only for an earlier deadline.
    /// Idle, it sleeps in short slices rather than until signalled, so arming an invocation
    /// whose deadline is further away than one slice (every real one) costs no wake-up and no
    /// lock contention on the invocation's path. A frozen Lambda environment pays nothing for
    /// the slices; a running one, one wake-up per slice.
    private var sleepingUntil: Int64 = 0
    private static let idleSliceMilliseconds: Int64 = 100
    private var generation = 0
    /// `generation << 2 | who`, who: 0 nobody yet, 1 the loop, 2 the watchdog, 3 the loop,
    /// streaming. The generation keeps a late watchdog from settling the next invocation.
    private let settled = Atomic<Int>(0)
    /// The generation whose deadline passed while the loop was streaming it.
    private let expiredWhileStreaming = Atomic<Int>(0)

    init() {
        pthread_mutex_init(&mutex, nil)
        var attributes = pthread_condattr_t()
        pthread_condattr_init(&attributes)
        // Deadlines are wall-clock (Lambda-Runtime-Deadline-Ms), so wait on the realtime clock.
        pthread_condattr_setclock(&attributes, CLOCK_REALTIME)
        pthread_cond_init(&condition, &attributes)
        pthread_condattr_destroy(&attributes)
        var thread = pthread_t()
        let box = Unmanaged.passRetained(self).toOpaque()
        pthread_create(
            &thread, nil,
            { raw in
                let watchdog = Unmanaged<DeadlineWatchdog>.fromOpaque(raw!).takeRetainedValue()
                watchdog.run()
                return nil
            }, box)
        pthread_detach(thread)
    }

    /// Starts watching one invocation; `onExpiry` runs if it is still unsettled at `fireAt`.
    func arm(requestID: String, fireAtMilliseconds: Int64, allowedMilliseconds: Int64, onExpiry: @escaping Expiry) {
        pthread_mutex_lock(&mutex)
        generation += 1
        settled.store(generation << 2, ordering: .sequentiallyConsistent)
        armed = (generation, requestID, fireAtMilliseconds, allowedMilliseconds, onExpiry)
        if fireAtMilliseconds < sleepingUntil { pthread_cond_signal(&condition) }
        pthread_mutex_unlock(&mutex)
    }

    /// Claims the current invocation for the loop. Returns false if the watchdog already
    /// reported it (the loop must then not post a second answer).
    func settleByLoop() -> Bool {
        pthread_mutex_lock(&mutex)
        let current = generation
        armed = nil
        pthread_mutex_unlock(&mutex)
        let (exchanged, found) = settled.compareExchange(
            expected: current << 2, desired: current << 2 | 1, ordering: .sequentiallyConsistent)
        return exchanged || found == current << 2 | 3
    }

    /// Claims the current invocation for a streamed response, before its first byte. Returns
    /// false if the watchdog already reported it (the stream must not start).
    func claimForStream() -> Bool {
        pthread_mutex_lock(&mutex)
        let current = generation
        pthread_mutex_unlock(&mutex)
        return settled.compareExchange(
            expected: current << 2, desired: current << 2 | 3, ordering: .sequentiallyConsistent
        ).exchanged
    }

    /// Whether the current invocation's deadline passed while it was streaming.
    func timedOutWhileStreaming() -> Bool {
        pthread_mutex_lock(&mutex)
        let current = generation
        pthread_mutex_unlock(&mutex)
        return expiredWhileStreaming.load(ordering: .sequentiallyConsistent) == current
    }

    private func run() {
        pthread_mutex_lock(&mutex)
        while true {
            let now = WallClock.nowMilliseconds()
            guard let current = armed, now >= current.fireAtMilliseconds else {
                sleepingUntil = armed?.fireAtMilliseconds ?? now + Self.idleSliceMilliseconds
                var until = timespec(
                    tv_sec: time_t(sleepingUntil / 1000), tv_nsec: Int((sleepingUntil % 1000) * 1_000_000))
                pthread_cond_timedwait(&condition, &mutex, &until)
                continue  // re-read `armed`: it may have been settled or replaced meanwhile
            }
            armed = nil
            pthread_mutex_unlock(&mutex)
            let mine = current.generation << 2
            let (exchanged, found) = settled.compareExchange(
                expected: mine, desired: mine | 2, ordering: .sequentiallyConsistent)
            if exchanged {
                current.onExpiry(current.requestID, current.allowed, false)
            } else if found == mine | 3 {
                expiredWhileStreaming.store(current.generation, ordering: .sequentiallyConsistent)
                current.onExpiry(current.requestID, current.allowed, true)
            }
            pthread_mutex_lock(&mutex)
        }
    }
}
