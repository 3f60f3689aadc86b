import SwitchyardContract
import Synchronization

/// Caches another signal source for a short TTL, so a warm function reads MongoDB at most once
/// per TTL per tenant rather than on every request.
///
/// - One fetch at a time per key: callers arriving while a fetch is in flight wait for that
///   fetch instead of starting another, and a fetch that outlives its caller's deadline still
///   fills the cache when it completes.
/// - A failed refresh serves the last good value while it is younger than `staleLimit`; past that
///   the failure passes through (and `snapshot` turns it into a note).
/// - A failure is itself cached for one TTL, for every key of its kind (a spend read that failed
///   for one tenant fails fast for the others too), so a store that is down costs one timeout per
///   TTL, not one per request or per tenant.
public actor CachedRoutingSignals: RoutingSignals {
    private let base: any RoutingSignals
    private let ttl: Duration
    private let staleLimit: Duration
    private let now: @Sendable () -> ContinuousClock.Instant
    private var spend: [String: Cell<SpendSignal?>] = [:]
    private var health = Cell<[ModelID: ModelHealth]>()
    /// When a read of each kind last failed; cleared by the next success.
    private let spendFailure = FailureMark()
    private let healthFailure = FailureMark()
    /// Calls made to the base source, for tests and diagnostics.
    public private(set) var baseCalls = 0
    /// A copy of the cached values, readable without entering the actor: `fresh(tenantID:)`
    /// answers a warm request on the caller's thread. Written only here, after each read.
    private let mirror = Mutex(Mirror())

    private struct Mirror {
        var spend: [String: (value: SpendSignal?, at: ContinuousClock.Instant)] = [:]
        var health: (value: [ModelID: ModelHealth], at: ContinuousClock.Instant)?
    }

    /// One cached value with its fetch in flight and its last failure; owned and touched by the
    /// actor only.
    private final class Cell<Value: Sendable> {
        var value: (value: Value, at: ContinuousClock.Instant)?
        var inFlight: Task<Value, any Error>?
    }

    private final class FailureMark {
        var at: ContinuousClock.Instant?
    }

    /// - Parameters:
    ///   - ttl: how long a value is served without asking `base` again.
    ///   - staleLimit: how long a value may be served after `base` starts failing.
    ///   - now: the clock; tests pass a manual one.
    public init(
        _ base: any RoutingSignals, ttl: Duration = .seconds(15), staleLimit: Duration = .seconds(300),
        now: @escaping @Sendable () -> ContinuousClock.Instant = { ContinuousClock.now }
    ) {
        self.base = base
        self.ttl = ttl
        self.staleLimit = staleLimit
        self.now = now
    }

    public func monthToDateSpend(tenantID: String) async throws -> SpendSignal? {
        let cell: Cell<SpendSignal?>
        if let existing = spend[tenantID] {
            cell = existing
        } else {
            cell = Cell()
            spend[tenantID] = cell
        }
        let base = self.base
        let signal = try await read(cell, failure: spendFailure, what: "spend") {
            try await base.monthToDateSpend(tenantID: tenantID)
        }
        let stored = cell.value
        mirror.withLock { $0.spend[tenantID] = stored }
        guard let stored, stored.value == signal else { return signal }
        return Self.aged(signal, cachedAt: stored.at, now: now())
    }

    public func modelHealth() async throws -> [ModelID: ModelHealth] {
        let base = self.base
        let models = try await read(health, failure: healthFailure, what: "model health") {
            try await base.modelHealth()
        }
        let stored = health.value
        mirror.withLock { $0.health = stored }
        return models
    }

    /// Both figures when both were fetched within the TTL, exactly as the async reads would serve
    /// them; nil when either needs a fetch (or its last fetch failed: the async path decides).
    public nonisolated func fresh(tenantID: String) -> (spend: SpendSignal?, health: [ModelID: ModelHealth])? {
        let t = now()
        return mirror.withLock { m in
            guard let spend = m.spend[tenantID], t - spend.at < ttl, let health = m.health, t - health.at < ttl
            else { return nil }
            return (Self.aged(spend.value, cachedAt: spend.at, now: t), health.value)
        }
    }

    /// A figure served from the cache is older by the time it has been cached.
    private static func aged(
        _ signal: SpendSignal?, cachedAt: ContinuousClock.Instant, now: ContinuousClock.Instant
    ) -> SpendSignal? {
        guard var aged = signal, let staleness = aged.stalenessMs else { return signal }
        aged.stalenessMs = staleness &+ max(0, (now - cachedAt).milliseconds)
        return aged
    }

    /// Forgets everything, e.g. after the policy's budgets change.
    public func invalidate() {
        spend.removeAll()
        health = Cell()
        spendFailure.at = nil
        healthFailure.at = nil
        mirror.withLock { $0 = Mirror() }
    }

    private func read<Value: Sendable>(
        _ cell: Cell<Value>, failure: FailureMark, what: String, fetch: @escaping @Sendable () async throws -> Value
    ) async throws -> Value {
        let t = now()
        if let cached = cell.value, t - cached.at < ttl { return cached.value }
        let task: Task<Value, any Error>
        if let running = cell.inFlight {
            task = running
        } else {
            if let failed = failure.at, t - failed < ttl {
                if let cached = cell.value, t - cached.at < staleLimit { return cached.value }
                throw SignalsUnavailable(what: what)
            }
            baseCalls += 1
            task = Task { try await fetch() }
            cell.inFlight = task
            // The cache is filled when the fetch ends, whether or not anyone still waits for it.
            Task { await self.settle(cell, failure, task) }
        }
        // Whoever sees the fetch end first files its result (a waiter here, or the settling task
        // when nobody waits any more), so the next read never finds a finished fetch unfiled.
        let result = await task.result
        record(result, of: task, in: cell, failure)
        switch result {
        case .success(let value): return value
        case .failure(let error):
            if let cached = cell.value, now() - cached.at < staleLimit { return cached.value }
            throw error
        }
    }

    private func settle<Value: Sendable>(
        _ cell: Cell<Value>, _ failure: FailureMark, _ task: Task<Value, any Error>
    ) async {
        record(await task.result, of: task, in: cell, failure)
    }

    private func record<Value: Sendable>(
        _ result: Result<Value, any Error>, of task: Task<Value, any Error>, in cell: Cell<Value>,
        _ failure: FailureMark
    ) {
        guard cell.inFlight == task else { return }  // already filed
        cell.inFlight = nil
        switch result {
        case .success(let value):
            cell.value = (value, now())
            failure.at = nil
        case .failure:
            failure.at = now()
        }
    }
}

/// The source failed within the last TTL and there is no fresh-enough value to serve.
public struct SignalsUnavailable: Error, CustomStringConvertible {
    public var what: String
    public var description: String { "\(what) source failed recently; retrying after the TTL" }
}
