/// Caches another signal source for a short TTL, so a warm function reads MongoDB at most once
/// per TTL per tenant rather than on every request.
///
/// A failed refresh serves the last good value while it is younger than `staleLimit`; past that
/// the failure passes through (and `snapshot` turns it into a note).
public actor CachedRoutingSignals: RoutingSignals {
    private let base: any RoutingSignals
    private let ttl: Duration
    private let staleLimit: Duration
    private let now: @Sendable () -> ContinuousClock.Instant
    private var spend: [String: (value: Int64?, at: ContinuousClock.Instant)] = [:]
    private var health: (value: [String: ModelHealth], at: ContinuousClock.Instant)?
    /// Calls made to the base source, for tests and diagnostics.
    public private(set) var baseCalls = 0

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

    public func monthToDateSpend(tenantID: String) async throws -> Int64? {
        let t = now()
        if let cached = spend[tenantID], t - cached.at < ttl { return cached.value }
        do {
            baseCalls += 1
            let value = try await base.monthToDateSpend(tenantID: tenantID)
            spend[tenantID] = (value, now())
            return value
        } catch {
            if let cached = spend[tenantID], t - cached.at < staleLimit { return cached.value }
            throw error
        }
    }

    public func modelHealth() async throws -> [String: ModelHealth] {
        let t = now()
        if let cached = health, t - cached.at < ttl { return cached.value }
        do {
            baseCalls += 1
            let value = try await base.modelHealth()
            health = (value, now())
            return value
        } catch {
            if let cached = health, t - cached.at < staleLimit { return cached.value }
            throw error
        }
    }

    /// Forgets everything, e.g. after the policy's budgets change.
    public func invalidate() {
        spend.removeAll()
        health = nil
    }
}
