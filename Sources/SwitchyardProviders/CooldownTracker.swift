import Synchronization

/// Remembers which provider endpoints failed repeatedly, across invocations of a warm function,
/// so later calls skip them for a while instead of paying a timeout each time.
///
/// `failureThreshold` consecutive health failures (rate limits, 5xx, timeouts, truncations)
/// start a cooldown of `cooldown`; a rate limit with `retry-after` cools the endpoint at least
/// that long. Any success clears the count.
public final class CooldownTracker: Sendable {
    public let failureThreshold: Int
    public let cooldown: Duration
    private let states = Mutex<[String: State]>([:])

    struct State {
        var consecutiveFailures = 0
        var coolUntil: ContinuousClock.Instant?
    }

    public init(failureThreshold: Int = 3, cooldown: Duration = .seconds(30)) {
        self.failureThreshold = failureThreshold
        self.cooldown = cooldown
    }

    public func isCoolingDown(_ key: String, now: ContinuousClock.Instant = .now) -> Bool {
        states.withLock { $0[key]?.coolUntil.map { $0 > now } ?? false }
    }

    public func recordSuccess(_ key: String) {
        states.withLock { $0[key] = nil }
    }

    public func recordFailure(_ key: String, error: LLMError, now: ContinuousClock.Instant = .now) {
        guard error.isRetryable else { return }
        let threshold = failureThreshold, cooldown = cooldown
        states.withLock { all in
            var state = all[key] ?? State()
            state.consecutiveFailures += 1
            if state.consecutiveFailures >= threshold {
                state.coolUntil = max(state.coolUntil ?? now, now.advanced(by: cooldown))
                state.consecutiveFailures = 0
            }
            if case .rateLimited(_, _, let retryAfter?) = error {
                state.coolUntil = max(state.coolUntil ?? now, now.advanced(by: retryAfter))
            }
            all[key] = state
        }
    }
}
