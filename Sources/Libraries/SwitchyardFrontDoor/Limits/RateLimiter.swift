import Synchronization

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// Per-key requests- and tokens-per-minute limits as token buckets: each holds up to a minute's
/// allowance and refills continuously. A request takes one request and its estimated tokens at
/// admission (prompt bytes / 4 plus its output allowance); when it ends, the estimate is replaced by
/// what it really used (`settle`), so a key that overruns pays it back before its next request.
public final class RateLimiter: Sendable {
    struct Bucket {
        var requests: Double
        var tokens: Double
        var updatedNs: UInt64
    }

    private let state = Mutex<[String: Bucket]>([:])
    private let clock: @Sendable () -> UInt64

    /// - Parameter clock: monotonic nanoseconds (tests pass their own).
    public init(clock: @escaping @Sendable () -> UInt64 = RateLimiter.monotonicNanoseconds) {
        self.clock = clock
    }

    /// CLOCK_MONOTONIC in nanoseconds.
    public static func monotonicNanoseconds() -> UInt64 {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return UInt64(ts.tv_sec) &* 1_000_000_000 &+ UInt64(ts.tv_nsec)
    }

    /// Takes one request and `tokens` from `key`'s buckets.
    /// - Throws: `FrontDoor.RateLimited` with the seconds until the request would fit.
    public func admit(key: String, limits: KeyLimits, tokens: Int) throws(FrontDoorError) {
        let now = clock()
        let rpm = Double(limits.requestsPerMinute)
        let tpm = Double(limits.tokensPerMinute)
        let refused: FrontDoorError? = state.withLock { buckets in
            var bucket = buckets[key] ?? Bucket(requests: rpm, tokens: tpm, updatedNs: now)
            let elapsed = Double(now &- bucket.updatedNs) / 1e9
            bucket.requests = min(rpm, bucket.requests + elapsed * rpm / 60)
            bucket.tokens = min(tpm, bucket.tokens + elapsed * tpm / 60)
            bucket.updatedNs = now
            defer { buckets[key] = bucket }
            if bucket.requests < 1 {
                let wait = (1 - bucket.requests) * 60 / rpm
                return .rateLimited(
                    limit: "\(limits.requestsPerMinute) requests per minute", retryAfterSeconds: Self.seconds(wait))
            }
            // A request larger than a whole minute's allowance still passes on a full bucket.
            let needed = min(Double(tokens), tpm)
            if bucket.tokens < needed {
                let wait = (needed - bucket.tokens) * 60 / tpm
                return .rateLimited(
                    limit: "\(limits.tokensPerMinute) tokens per minute", retryAfterSeconds: Self.seconds(wait))
            }
            bucket.requests -= 1
            bucket.tokens -= Double(tokens)
            return nil
        }
        if let refused { throw refused }
    }

    /// Replaces an admitted request's token estimate with what it used (the difference may be negative).
    public func settle(key: String, estimated: Int, used: Int) {
        state.withLock { buckets in
            guard var bucket = buckets[key] else { return }
            bucket.tokens -= Double(used) - Double(estimated)
            buckets[key] = bucket
        }
    }

    static func seconds(_ wait: Double) -> Int { max(1, Int(wait.rounded(.up))) }
}
