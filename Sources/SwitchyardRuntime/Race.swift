import Synchronization

/// A one-shot result that several tasks race to set; the first `finish` wins and later ones are
/// ignored. `value` suspends until it is set.
final class Race<Success: Sendable>: Sendable {
    private enum State {
        case pending([CheckedContinuation<Result<Success, ErrorReport>, Never>])
        case done(Result<Success, ErrorReport>)
    }

    private let state = Mutex<State>(.pending([]))

    func finish(_ result: Result<Success, ErrorReport>) {
        let waiters: [CheckedContinuation<Result<Success, ErrorReport>, Never>] = state.withLock { state in
            guard case .pending(let waiters) = state else { return [] }
            state = .done(result)
            return waiters
        }
        for waiter in waiters { waiter.resume(returning: result) }
    }

    var value: Result<Success, ErrorReport> {
        get async {
            await withCheckedContinuation { continuation in
                let ready: Result<Success, ErrorReport>? = state.withLock { state in
                    switch state {
                    case .done(let result): return result
                    case .pending(var waiters):
                        waiters.append(continuation)
                        state = .pending(waiters)
                        return nil
                    }
                }
                if let ready { continuation.resume(returning: ready) }
            }
        }
    }
}
