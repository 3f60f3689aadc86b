import SwitchyardContract
import SwitchyardCore
import SwitchyardRouting
import SwitchyardUsage

/// The router's live signals, read from the usage rollups in MongoDB.
///
/// Both queries read per-minute rollups, so their cost does not grow with traffic. Each has its
/// own connection and its own thread (a one-thread `BlockingPool`), so spend and health are fetched at the
/// same time and a store that does not answer blocks neither the other query nor the
/// invocation: `RoutingSignals.snapshot(tenantID:deadline:)` stops waiting at its deadline.
/// Wrap in `CachedRoutingSignals` so a warm router asks at most once per TTL.
public struct MongoRoutingSignals: RoutingSignals {
    let spendStore: MongoUsageSink
    let healthStore: MongoUsageSink
    let spendThread = BlockingPool(threads: 1)
    let healthThread = BlockingPool(threads: 1)
    /// How far back model health looks, ms. Default 15 minutes.
    let window: Int64
    /// Models with fewer calls than this in the window are left out (priors are better). Default 5.
    let minimumSamples: Int64

    /// - Throws: `Config.Invalid` for a URI libmongoc rejects.
    public init(
        configuration: MongoUsageConfiguration, windowMinutes: Int = 15, minimumSamples: Int = 5
    ) throws(ConfigurationError) {
        spendStore = try MongoUsageSink(configuration: configuration)
        healthStore = try MongoUsageSink(configuration: configuration)
        window = Int64(windowMinutes) * 60_000
        self.minimumSamples = Int64(minimumSamples)
    }

    /// Month-to-date spend plus open budget reservations (decisions.md: the router reads spend +
    /// reservations), exact in pico-USD, from the tenant's ledger counter (one document); a tenant
    /// without one (usage stored before the ledger existed) falls back to summing the month's
    /// rollups. Zero for a tenant with no usage this month. Carries how far the rollups (and the
    /// ledger, updated with them) lag: a crash can leave a rollup batch unfinished until the
    /// scheduled repair completes it.
    public func monthToDateSpend(tenantID: String) async throws -> SpendSignal? {
        let store = spendStore
        return try await withTaskExecutorPreference(spendThread) {
            let now = WallClock.nowMilliseconds()
            let deadline = ContinuousClock.now + .seconds(5)
            let balance = try await store.balance(tenant: tenantID, at: now, deadline: deadline)
            var amount = balance.committedPicoUSD
            if amount == 0 {
                amount = try await store.monthToDateSpend(tenant: tenantID, now: now, deadline: deadline).totalPicoUSD
            }
            let freshness = try await store.rollupFreshness(now: now, deadline: deadline)
            return SpendSignal(
                amount: PicoUSD(amount), stalenessMs: freshness.stalenessMilliseconds,
                graceMs: freshness.graceMilliseconds)
        }
    }

    /// p50/p95 (histogram bucket bounds) and error rate per model over the window.
    public func modelHealth() async throws -> [ModelID: ModelHealth] {
        let now = WallClock.nowMilliseconds()
        let estimates = try await withTaskExecutorPreference(healthThread) {
            try await healthStore.latencyEstimates(
                groupBy: "model", from: now - window, to: now + 60_000, deadline: ContinuousClock.now + .seconds(5))
        }
        var health: [ModelID: ModelHealth] = [:]
        for estimate in estimates where estimate.count >= minimumSamples && estimate.key != "-" {
            // Rollup figures are Int64; anything beyond an hour or an Int is clamped by `ModelHealth.checked`.
            health[ModelID(estimate.key)] = ModelHealth(
                p50Ms: Int(clamping: estimate.p50Ms), p95Ms: Int(clamping: estimate.p95Ms),
                errorRate: estimate.errorRate, samples: Int(clamping: estimate.count))
        }
        return health
    }
}
