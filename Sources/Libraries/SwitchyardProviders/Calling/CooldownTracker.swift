import Synchronization

/// Remembers which providers failed, across invocations of a warm function, so later calls skip
/// them for a while instead of paying a timeout each time.
///
/// Two scopes, because the two signals mean different things:
/// - `failureThreshold` consecutive health failures (5xx, 529, timeouts, truncations, rate
///   limits) at one provider endpoint cool the whole endpoint for `cooldown`: it is down.
/// - A rate limit with `retry-after` cools only that model at that endpoint, for that long:
///   providers limit per model, so the provider's other models stay usable.
/// Any success clears the endpoint's count and the model's cooldown.
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

    static func modelKey(_ endpoint: String, _ model: String) -> String { endpoint + "\u{0}" + model }

    public func isCoolingDown(endpoint: String, model: String, now: ContinuousClock.Instant = .now) -> Bool {
        states.withLock { all in
            for key in [endpoint, Self.modelKey(endpoint, model)] {
                if let until = all[key]?.coolUntil, until > now { return true }
            }
            return false
        }
    }

    public func recordSuccess(endpoint: String, model: String) {
        states.withLock {
            $0[endpoint] = nil
            $0[Self.modelKey(endpoint, model)] = nil
        }
    }

    public func recordFailure(endpoint: String, model: String, error: LLMError, now: ContinuousClock.Instant = .now) {
        guard error.isRetryable else { return }
        let threshold = failureThreshold, cooldown = cooldown
        states.withLock { all in
            var state = all[endpoint] ?? State()
            state.consecutiveFailures += 1
            if state.consecutiveFailures >= threshold {
                state.coolUntil = max(state.coolUntil ?? now, now.advanced(by: cooldown))
                state.consecutiveFailures = 0
            }
            all[endpoint] = state
            if case .rateLimited(_, _, let retryAfter?) = error {
                let key = Self.modelKey(endpoint, model)
                var modelState = all[key] ?? State()
                modelState.coolUntil = max(modelState.coolUntil ?? now, now.advanced(by: retryAfter))
                all[key] = modelState
            }
        }
    }
}
