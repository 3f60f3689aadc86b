import SwitchyardContract

/// Where the dashboard's figures come from: rollups for charts, raw records (through indexes)
/// for recent activity and drill-downs. MongoDB in production and the local stack; an in-memory
/// store in tests.
public protocol MetricsStore: Sendable {
    /// The rollup buckets of every segment of `cover` that match `filter`'s tenant and tier.
    /// - Parameter latency: also read the latency histograms (they are most of a bucket's bytes).
    func rollupRows(cover: TimeCover, filter: MetricsFilter, latency: Bool, deadline: ContinuousClock.Instant)
        async throws(MetricsError) -> [RollupRow]

    /// Raw records in `filter`, newest first by (timestamp, key), after `cursor`, at most `limit`.
    func recentRecords(
        filter: MetricsFilter, activity: ActivityFilter, after cursor: ActivityCursor?, limit: Int,
        deadline: ContinuousClock.Instant
    ) async throws(MetricsError) -> [UsageRecord]

    /// Every record of one request (at most `limit`).
    func requestRecords(requestID: String, limit: Int, deadline: ContinuousClock.Instant)
        async throws(MetricsError) -> [UsageRecord]

    /// The recorded LLM calls of `filter` (step `llm`), in any order, at most `limit`: what the
    /// routing what-if replays.
    /// - Throws: `Dashboard.TooManyPoints` when the range holds more than `limit`.
    func modelCalls(filter: MetricsFilter, limit: Int, deadline: ContinuousClock.Instant) async throws(MetricsError)
        -> [UsageRecord]

    /// Per tenant-day, the sums of its LLM rows in the day rollups of `[from, to)` (whole days).
    func whatIfFingerprints(from: Int64, to: Int64, tenant: String?, deadline: ContinuousClock.Instant)
        async throws(MetricsError) -> [WhatIfDayKey: WhatIfFingerprint]

    /// The stored what-if summaries of the UTC days starting in `[from, to)`, of one tenant or all.
    func whatIfSummaries(from: Int64, to: Int64, tenant: String?, deadline: ContinuousClock.Instant)
        async throws(MetricsError) -> [WhatIfDaySummary]

    /// Whether `saveWhatIfSummaries` keeps what it is given (a what-if stopped by its deadline then
    /// answers `Dashboard.Warming`: the next call continues from the days it summarised).
    var keepsWhatIfSummaries: Bool { get }

    /// Stores summaries, replacing those of the same tenant-day. Not part of any billing write.
    func saveWhatIfSummaries(_ summaries: [WhatIfDaySummary], deadline: ContinuousClock.Instant)
        async throws(MetricsError)

    /// Tenants (with tiers) and models seen in the day rollups of `[from, to)`.
    func dimensions(from: Int64, to: Int64, deadline: ContinuousClock.Instant) async throws(MetricsError)
        -> DimensionsResponse
}

extension MetricsStore {
    /// From `rollupRows` (every step of the day buckets).
    public func whatIfFingerprints(from: Int64, to: Int64, tenant: String?, deadline: ContinuousClock.Instant)
        async throws(MetricsError) -> [WhatIfDayKey: WhatIfFingerprint]
    {
        let rows = try await rollupRows(
            cover: TimeCover(from: from, to: to), filter: MetricsFilter(from: from, to: to, tenant: tenant),
            latency: false, deadline: deadline)
        return WhatIfFingerprint.of(rows)
    }

    /// A store without summaries: the what-if replays every day from raw records.
    public func whatIfSummaries(from: Int64, to: Int64, tenant: String?, deadline: ContinuousClock.Instant)
        async throws(MetricsError) -> [WhatIfDaySummary]
    { [] }

    public func saveWhatIfSummaries(_ summaries: [WhatIfDaySummary], deadline: ContinuousClock.Instant)
        async throws(MetricsError)
    {}

    public var keepsWhatIfSummaries: Bool { false }
}
