import SwitchyardContract

/// Caches another signal source for a short TTL, so a warm function reads MongoDB at most once
/// per TTL per tenant rather than on every request.
///
/// A failed refresh serves the last good value while it is younger than `staleLimit`; past that
/// the failure passes through (and `snapshot` turns it into a note). A failure is itself cached
/// for one TTL, so a store that is down costs one timeout per TTL, not one per request.
public actor CachedRoutingSignals: RoutingSignals {
    private let base: any RoutingSignals
    private let ttl: Duration
    private let staleLimit: Duration
    private let now: @Sendable () -> ContinuousClock.Instant
    private var spend: [String: (value: Int64?, at: ContinuousClock.Instant)] = [:]
    private var health: (value: [String: ModelHealth], at: ContinuousClock.Instant)?
    private var spendFailedAt: [String: ContinuousClock.Instant] = [:]
    private var healthFailedAt: ContinuousClock.Instant?
    private var freshness: (value: SpendFreshness?, at: ContinuousClock.Instant)?
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
        if let failed = spendFailedAt[tenantID], t - failed < ttl {
            if let cached = spend[tenantID], t - cached.at < staleLimit { return cached.value }
            throw SignalsUnavailable(what: "spend")
        }
        do {
            baseCalls += 1
            let value = try await base.monthToDateSpend(tenantID: tenantID)
            spend[tenantID] = (value, now())
            spendFailedAt[tenantID] = nil
            return value
        } catch {
            spendFailedAt[tenantID] = now()
            if let cached = spend[tenantID], t - cached.at < staleLimit { return cached.value }
            throw error
        }
    }

    public func modelHealth() async throws -> [String: ModelHealth] {
        let t = now()
        if let cached = health, t - cached.at < ttl { return cached.value }
        if let failed = healthFailedAt, t - failed < ttl {
            if let cached = health, t - cached.at < staleLimit { return cached.value }
            throw SignalsUnavailable(what: "model health")
        }
        do {
            baseCalls += 1
            let value = try await base.modelHealth()
            health = (value, now())
            healthFailedAt = nil
            return value
        } catch {
            healthFailedAt = now()
            if let cached = health, t - cached.at < staleLimit { return cached.value }
            throw error
        }
    }

    /// The base's freshness, fetched at most once per TTL, aged by the time it has been cached
    /// (a cached spend figure is that much older).
    public func spendFreshness() async throws -> SpendFreshness? {
        let t = now()
        if freshness == nil || t - freshness!.at >= ttl {
            do {
                freshness = (try await base.spendFreshness(), now())
            } catch {
                freshness = nil
                throw error
            }
        }
        guard let cached = freshness, var value = cached.value else { return nil }
        value.stalenessMs += (t - cached.at).milliseconds
        return value
    }

    /// Forgets everything, e.g. after the policy's budgets change.
    public func invalidate() {
        spend.removeAll()
        health = nil
        spendFailedAt.removeAll()
        healthFailedAt = nil
        freshness = nil
    }
}

/// The source failed within the last TTL and there is no fresh-enough value to serve.
public struct SignalsUnavailable: Error, CustomStringConvertible {
    public var what: String
    public var description: String { "\(what) source failed recently; retrying after the TTL" }
}
