import SwitchyardContract
import SwitchyardMetrics

/// A test store that plays only the reads its test needs: each read it does not implement answers
/// nothing. One place for the stubs the counting and slow stores of these tests would each repeat.
protocol StubbedMetricsStore: MetricsStore {}

extension StubbedMetricsStore {
    func rollupRows(cover: TimeCover, filter: MetricsFilter, latency: Bool, deadline: ContinuousClock.Instant)
        async throws(MetricsError) -> [RollupRow]
    { [] }

    func recentRecords(
        filter: MetricsFilter, activity: ActivityFilter, after cursor: ActivityCursor?, limit: Int,
        deadline: ContinuousClock.Instant
    ) async throws(MetricsError) -> [UsageRecord] { [] }

    func requestRecords(requestID: String, limit: Int, deadline: ContinuousClock.Instant)
        async throws(MetricsError) -> [UsageRecord]
    { [] }

    func modelCalls(filter: MetricsFilter, limit: Int, deadline: ContinuousClock.Instant)
        async throws(MetricsError) -> [UsageRecord]
    { [] }

    func dimensions(from: Int64, to: Int64, deadline: ContinuousClock.Instant) async throws(MetricsError)
        -> DimensionsResponse
    { DimensionsResponse(tenants: [], tiers: [], models: []) }
}
