import SwitchyardContract
import SwitchyardCore
import SwitchyardRouting
import SwitchyardUsage

/// The router's live signals, read from the usage rollups in MongoDB.
///
/// Both queries read per-minute rollups, so their cost does not grow with traffic. Wrap in
/// `CachedRoutingSignals` so a warm router asks at most once per TTL.
public struct MongoRoutingSignals: RoutingSignals {
    let sink: MongoUsageSink
    /// How far back model health looks. Default 15 minutes.
    let window: Int64
    /// Models with fewer calls than this in the window are left out (priors are better). Default 5.
    let minimumSamples: Int64

    public init(sink: MongoUsageSink, windowMinutes: Int = 15, minimumSamples: Int = 5) {
        self.sink = sink
        self.window = Int64(windowMinutes) * 60_000
        self.minimumSamples = Int64(minimumSamples)
    }

    /// Month-to-date spend plus open budget reservations (decisions.md: the router reads spend +
    /// reservations) in micro-USD, rounded half to even from pico-USD, from the tenant's ledger
    /// counter (one document); a tenant without one (usage stored before the ledger existed)
    /// falls back to summing the month's rollups. 0 for a tenant with no usage this month.
    public func monthToDateSpend(tenantID: String) async throws -> Int64? {
        let now = WallClock.nowMilliseconds()
        let deadline = ContinuousClock.now + .seconds(5)
        let balance = try await sink.balance(tenant: tenantID, at: now, deadline: deadline)
        if balance.committedPicoUSD != 0 { return PicoUSD(balance.committedPicoUSD).microUSDRounded }
        return try await sink.monthToDateSpend(tenant: tenantID, now: now, deadline: deadline).totalMicroUSD
    }

    /// How far the rollups (and the ledger's spend, updated with them) lag: a crash can leave a
    /// rollup batch unfinished until the scheduled repair completes it.
    public func spendFreshness() async throws -> SpendFreshness? {
        let freshness = try await sink.rollupFreshness(deadline: ContinuousClock.now + .seconds(5))
        return SpendFreshness(stalenessMs: freshness.stalenessMilliseconds, graceMs: freshness.graceMilliseconds)
    }

    /// p50/p95 (histogram bucket bounds) and error rate per model over the window.
    public func modelHealth() async throws -> [String: ModelHealth] {
        let now = WallClock.nowMilliseconds()
        let estimates = try await sink.latencyEstimates(
            groupBy: "model", from: now - window, to: now + 60_000, deadline: ContinuousClock.now + .seconds(5))
        var health: [String: ModelHealth] = [:]
        for estimate in estimates where estimate.count >= minimumSamples && estimate.key != "-" {
            health[estimate.key] = ModelHealth(
                p50Ms: Int(estimate.p50Ms), p95Ms: Int(estimate.p95Ms), errorRate: estimate.errorRate,
                samples: Int(estimate.count))
        }
        return health
    }
}
