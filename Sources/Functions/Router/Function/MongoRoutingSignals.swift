import SwitchyardContract
import SwitchyardCore
import SwitchyardRouting
import SwitchyardUsage

/// The router's live signals, read from the usage rollups in MongoDB.
///
/// Both queries read per-minute rollups, so their cost does not grow with traffic. Each has its
/// own connection and its own thread (`ThreadExecutor`), so spend and health are fetched at the
/// same time and a store that does not answer blocks neither the other query nor the
/// invocation: `RoutingSignals.snapshot(tenantID:deadline:)` stops waiting at its deadline.
/// Wrap in `CachedRoutingSignals` so a warm router asks at most once per TTL.
public struct MongoRoutingSignals: RoutingSignals {
    let spendStore: MongoUsageSink
    let healthStore: MongoUsageSink
    let spendThread = ThreadExecutor()
    let healthThread = ThreadExecutor()
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

    /// Month-to-date spend, exact in pico-USD; zero for a tenant with no usage this month.
    public func monthToDateSpend(tenantID: String) async throws -> SpendSignal? {
        let spend = try await withTaskExecutorPreference(spendThread) {
            try await spendStore.monthToDateSpend(tenant: tenantID)
        }
        return SpendSignal(amount: PicoUSD(spend.totalPicoUSD))
    }

    /// p50/p95 (histogram bucket bounds) and error rate per model over the window.
    public func modelHealth() async throws -> [ModelID: ModelHealth] {
        let now = WallClock.nowMilliseconds()
        let estimates = try await withTaskExecutorPreference(healthThread) {
            try await healthStore.latencyEstimates(groupBy: "model", from: now - window, to: now + 60_000)
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
