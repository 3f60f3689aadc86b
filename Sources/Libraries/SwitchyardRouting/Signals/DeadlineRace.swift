import Synchronization

/// Waits for a piece of work until a deadline, without tying the work's lifetime to the wait.
///
/// A `withTaskGroup` race cannot do this: the group waits for every child before it returns,
/// and a blocked store call does not answer cancellation. Here the work runs in its own task;
/// whichever of the work and the deadline comes first resumes the caller, exactly once, and
/// the work finishes on its own time (a caching source keeps its answer for the next request).
enum DeadlineRace {
    enum Outcome<T: Sendable>: Sendable {
        case value(T)
        case failed(any Error)
        case timedOut
    }

    static func run<T: Sendable>(
        until deadline: ContinuousClock.Instant, _ work: @escaping @Sendable () async throws -> T
    ) async -> Outcome<T> {
        guard ContinuousClock.now < deadline else { return .timedOut }
        let race = Race<T>()
        let outcome = await withCheckedContinuation { (continuation: CheckedContinuation<Outcome<T>, Never>) in
            race.install(continuation)
            Task {
                do { race.finish(.value(try await work())) } catch { race.finish(.failed(error)) }
            }
            race.setTimer(
                Task {
                    try? await Task.sleep(until: deadline, clock: .continuous)
                    race.finish(.timedOut)
                })
        }
        race.cancelTimer()
        return outcome
    }

    /// The one continuation, resumed by whoever finishes first.
    final class Race<T: Sendable>: Sendable {
        private struct State {
            var continuation: CheckedContinuation<Outcome<T>, Never>?
            var timer: Task<Void, Never>?
            var finished = false
        }
        private let state = Mutex(State())

        func install(_ continuation: CheckedContinuation<Outcome<T>, Never>) {
            state.withLock { $0.continuation = continuation }
        }

        func setTimer(_ timer: Task<Void, Never>) {
            let cancelNow = state.withLock { state -> Bool in
                state.timer = timer
                return state.finished
            }
            if cancelNow { timer.cancel() }
        }

        func cancelTimer() { state.withLock { $0.timer }?.cancel() }

        func finish(_ outcome: Outcome<T>) {
            let continuation = state.withLock { state -> CheckedContinuation<Outcome<T>, Never>? in
                guard !state.finished else { return nil }
                state.finished = true
                defer { state.continuation = nil }
                return state.continuation
            }
            continuation?.resume(returning: outcome)
        }
    }
}
