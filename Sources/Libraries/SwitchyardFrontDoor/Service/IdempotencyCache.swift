import Synchronization

/// Answers by idempotency key (per tenant): a retry of a finished request gets the first answer
/// again, and a retry that arrives while the first is still running waits for it. Requests with
/// the same key therefore run, and bill, once — in this process; across processes the request id
/// derived from the key makes the ledger reservation and the usage records idempotent too.
///
/// Bounded: at most `capacity` answers, each kept `ttl`; the oldest go first.
public final class IdempotencyCache: Sendable {
    public struct Answer: Sendable {
        public var status: Int
        public var headers: [(String, String)]
        public var body: [UInt8]
    }

    private enum Entry {
        case running([CheckedContinuation<Answer?, Never>])
        case done(Answer, expires: ContinuousClock.Instant)
    }

    private struct State {
        var entries: [String: Entry] = [:]
        var order: [String] = []
        var head = 0
    }

    private let state = Mutex(State())
    public let capacity: Int
    public let ttl: Duration

    public init(capacity: Int = 10_000, ttl: Duration = .seconds(24 * 3600)) {
        self.capacity = capacity
        self.ttl = ttl
    }

    public enum Claim: Sendable {
        /// Nobody holds the key: run the request, then `finish` (or `abandon`).
        case run
        /// The answer of the first request with this key.
        case replay(Answer)
    }

    /// Claims `key`, or waits for the request already running under it.
    public func claim(_ key: String) async -> Claim {
        enum Step {
            case run
            case replay(Answer)
            case wait
        }
        let now = ContinuousClock.now
        let step: Step = state.withLock { s in
            switch s.entries[key] {
            case .done(let answer, let expires) where expires > now: return .replay(answer)
            case .running: return .wait
            default:
                s.entries[key] = .running([])
                s.order.append(key)
                evict(&s)
                return .run
            }
        }
        switch step {
        case .run: return .run
        case .replay(let answer): return .replay(answer)
        case .wait:
            let answer = await withCheckedContinuation { (continuation: CheckedContinuation<Answer?, Never>) in
                let registered: Bool = state.withLock { s in
                    if case .running(var waiters) = s.entries[key] {
                        waiters.append(continuation)
                        s.entries[key] = .running(waiters)
                        return true
                    }
                    return false
                }
                if !registered { continuation.resume(returning: nil) }
            }
            if let answer { return .replay(answer) }
            return await claim(key)
        }
    }

    /// Records the answer of a claimed key and wakes the requests waiting for it.
    public func finish(_ key: String, _ answer: Answer) {
        let waiters = state.withLock { s -> [CheckedContinuation<Answer?, Never>] in
            guard case .running(let waiters) = s.entries[key] else { return [] }
            s.entries[key] = .done(answer, expires: .now + ttl)
            s.order.append(key)
            evict(&s)
            return waiters
        }
        for waiter in waiters { waiter.resume(returning: answer) }
    }

    /// Gives a claimed key up without an answer (a stream, or a refusal worth retrying); waiters run it themselves.
    public func abandon(_ key: String) {
        let waiters = state.withLock { s -> [CheckedContinuation<Answer?, Never>] in
            guard case .running(let waiters) = s.entries[key] else { return [] }
            s.entries[key] = nil
            return waiters
        }
        for waiter in waiters { waiter.resume(returning: nil) }
    }

    private func evict(_ s: inout State) {
        while s.order.count - s.head > capacity {
            let oldest = s.order[s.head]
            s.head += 1
            if case .done = s.entries[oldest] { s.entries[oldest] = nil }
        }
        if s.head > 4096, s.head * 2 > s.order.count {
            s.order.removeFirst(s.head)
            s.head = 0
        }
    }
}
