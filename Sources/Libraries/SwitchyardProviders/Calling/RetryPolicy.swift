/// When to try the same model again after a failed attempt.
///
/// Exponential backoff with "equal jitter" (half fixed, half random) so callers that failed
/// together do not retry together; a provider's `retry-after` is a floor, and one longer than
/// `maxRetryAfter` sends the call to the next model instead of waiting. The caller also refuses
/// any retry that would not leave `minimumAttemptTime` before the deadline.
public struct RetryPolicy: Sendable, Equatable {
    /// Attempts per model, the first included (2 = one retry).
    public var maxAttemptsPerModel: Int
    public var baseDelay: Duration
    public var maxDelay: Duration
    public var multiplier: Double
    public var maxRetryAfter: Duration
    public var minimumAttemptTime: Duration

    public init(
        maxAttemptsPerModel: Int = 2, baseDelay: Duration = .milliseconds(200), maxDelay: Duration = .seconds(4),
        multiplier: Double = 2, maxRetryAfter: Duration = .seconds(10),
        minimumAttemptTime: Duration = .milliseconds(250)
    ) {
        self.maxAttemptsPerModel = maxAttemptsPerModel
        self.baseDelay = baseDelay
        self.maxDelay = maxDelay
        self.multiplier = multiplier
        self.maxRetryAfter = maxRetryAfter
        self.minimumAttemptTime = minimumAttemptTime
    }

    /// The pause before attempt `failedAttempts + 1` at the same model, or `nil` to move on.
    public func delay(
        afterFailedAttempts failedAttempts: Int, error: LLMError, using random: inout some RandomNumberGenerator
    ) -> Duration? {
        guard error.isRetryable, failedAttempts < maxAttemptsPerModel else { return nil }
        let exponent = Double(max(0, failedAttempts - 1))
        let capped = min(Self.seconds(baseDelay) * pow2(multiplier, exponent), Self.seconds(maxDelay))
        let jittered = capped / 2 + Double.random(in: 0...(capped / 2), using: &random)
        var delay = Duration.nanoseconds(Int64(jittered * 1e9))
        if case .rateLimited(_, _, let retryAfter?) = error {
            if retryAfter > maxRetryAfter { return nil }
            delay = max(delay, retryAfter)
        }
        return delay
    }

    /// Whether an attempt started after `delay` still has `minimumAttemptTime` before `deadline`.
    public func fits(_ delay: Duration, before deadline: ContinuousClock.Instant, now: ContinuousClock.Instant = .now)
        -> Bool
    {
        now.advanced(by: delay + minimumAttemptTime) <= deadline
    }

    static func seconds(_ d: Duration) -> Double {
        let (s, a) = d.components
        return Double(s) + Double(a) / 1e18
    }

    private func pow2(_ base: Double, _ exponent: Double) -> Double {
        var result = 1.0
        for _ in 0..<Int(exponent) { result *= base }
        return result
    }
}
