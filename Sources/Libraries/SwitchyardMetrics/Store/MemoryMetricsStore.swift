import SwitchyardContract
import Synchronization

/// A `MetricsStore` over records held in memory: rollups are computed on the fly, per segment, as
/// the usage store keeps them. For tests and for a dashboard over a fixture file.
public struct MemoryMetricsStore: MetricsStore {
    public let records: [UsageRecord]
    /// What-if summaries saved into this store (shared by its copies).
    let summaries = Summaries()

    final class Summaries: Sendable {
        let stored = Mutex<[WhatIfDayKey: WhatIfDaySummary]>([:])
    }

    public init(records: [UsageRecord]) { self.records = records }

    public func whatIfSummaries(from: Int64, to: Int64, tenant: String?, deadline: ContinuousClock.Instant)
        async throws(MetricsError) -> [WhatIfDaySummary]
    {
        summaries.stored.withLock { stored in
            stored.values.filter { $0.day >= from && $0.day < to && (tenant == nil || $0.tenant == tenant) }
                .sorted { ($0.day, $0.tenant) < ($1.day, $1.tenant) }
        }
    }

    public var keepsWhatIfSummaries: Bool { true }

    public func saveWhatIfSummaries(_ summaries: [WhatIfDaySummary], deadline: ContinuousClock.Instant)
        async throws(MetricsError)
    {
        self.summaries.stored.withLock { stored in
            for summary in summaries { stored[WhatIfDayKey(day: summary.day, tenant: summary.tenant)] = summary }
        }
    }

    public func rollupRows(cover: TimeCover, filter: MetricsFilter, latency: Bool, deadline: ContinuousClock.Instant)
        async throws(MetricsError) -> [RollupRow]
    {
        var rows: [String: RollupRow] = [:]
        var order: [String] = []
        for segment in cover.segments {
            for record in records where record.timestamp >= segment.from && record.timestamp < segment.to {
                if let tenant = filter.tenant, record.tenant != tenant { continue }
                if let tier = filter.tier, record.tier != tier { continue }
                var row = RollupRow(record: record, granularity: segment.granularity)
                if !latency { row.latency = SparseHistogram() }
                let key = "\(segment.granularity.rawValue)\u{1F}\(row.bucketKey)"
                if rows[key] == nil {
                    rows[key] = row
                    order.append(key)
                } else {
                    rows[key]!.absorb(row)
                }
            }
        }
        return order.map { rows[$0]! }
    }

    public func recentRecords(
        filter: MetricsFilter, activity: ActivityFilter, after cursor: ActivityCursor?, limit: Int,
        deadline: ContinuousClock.Instant
    ) async throws(MetricsError) -> [UsageRecord] {
        let matching = records.filter { record in
            filter.matches(record) && (activity.status == nil || record.status == activity.status)
                && (activity.model == nil || record.model?.rawValue == activity.model)
                && (cursor?.precedes(record) ?? true)
        }
        return Array(
            matching.sorted {
                $0.timestamp != $1.timestamp ? $0.timestamp > $1.timestamp : $0.cursorKey > $1.cursorKey
            }.prefix(limit))
    }

    public func requestRecords(requestID: String, limit: Int, deadline: ContinuousClock.Instant)
        async throws(MetricsError) -> [UsageRecord]
    {
        Array(records.filter { $0.requestID == requestID }.prefix(limit))
    }

    public func modelCalls(filter: MetricsFilter, limit: Int, deadline: ContinuousClock.Instant)
        async throws(MetricsError) -> [UsageRecord]
    {
        let calls = records.filter { $0.step == "llm" && filter.matches($0) }
        guard calls.count <= limit else { throw .tooManyPoints(requested: Int64(calls.count), limit: limit) }
        return calls
    }

    public func dimensions(from: Int64, to: Int64, deadline: ContinuousClock.Instant) async throws(MetricsError)
        -> DimensionsResponse
    {
        let inRange = records.filter { $0.timestamp >= Granularity.day.floor(from) && $0.timestamp < to }
        let tenants = Set(inRange.map { DimensionsResponse.Tenant(tenant: $0.tenant, tier: $0.tier ?? "-") })
        return DimensionsResponse(
            tenants: tenants.sorted { ($0.tenant, $0.tier) < ($1.tenant, $1.tier) },
            tiers: Set(inRange.map { $0.tier ?? "-" }).sorted(),
            models: Set(inRange.compactMap { $0.model?.rawValue }).sorted())
    }
}
