import SwitchyardBilling
import SwitchyardContract
import SwitchyardCore
import SwitchyardJSON

/// Month-to-date spend of one tenant, from the rollups.
public struct TenantSpend: Sendable, Hashable, Codable {
    public var tenant: String
    public var fromMilliseconds: Int64
    public var totalPicoUSD: Int64
    public var records: Int64
    /// Records with an unpriced part: when > 0, `totalPicoUSD` is a lower bound.
    public var unpricedRecords: Int64

    public var totalMicroUSD: Int64 { PicoUSD(totalPicoUSD).microUSDRounded }
}

/// Recent latency and error figures for one model (or backend), read from rollup histograms.
public struct LatencyEstimate: Sendable, Hashable, Codable {
    public var key: String
    public var count: Int64
    public var errors: Int64
    public var meanMs: Int64
    /// Upper bounds of the histogram buckets holding the percentile (see `LatencyHistogram`).
    public var p50Ms: Int64
    public var p95Ms: Int64
    public var p99Ms: Int64

    public var errorRate: Double { count == 0 ? 0 : Double(errors) / Double(count) }
}

/// One row of a cost/volume breakdown.
public struct UsageTotals: Sendable, Hashable, Codable {
    public var key: String
    public var count: Int64
    public var errors: Int64
    public var unpriced: Int64
    public var tokensInput: Int64
    public var tokensOutput: Int64
    public var costModelPicoUSD: Int64
    public var costComputePicoUSD: Int64
    public var costOrchestrationPicoUSD: Int64
    public var costTotalPicoUSD: Int64
}

/// Queries over rollups (fast at any volume) and raw records (recent activity only).
extension MongoUsageSink {
    /// Spend of `tenant` since 00:00 UTC on the first of the month containing `now`.
    public func monthToDateSpend(
        tenant: String, now: Int64 = WallClock.nowMilliseconds(), deadline: ContinuousClock.Instant? = nil
    ) async throws(UsageError) -> TenantSpend {
        let from = UTCCalendar.startOfMonth(epochMilliseconds: now)
        let rows = try await withStore(deadline: deadline) { session throws(MongoFailure) in
            try session.connection.aggregate(
                UsageCollections.rollups,
                pipeline: [
                    .object([
                        "$match": .object(["tenant": .string(tenant), "minute": .object(["$gte": .integer(from)])])
                    ]),
                    .object([
                        "$group": .object([
                            "_id": .null, "cost": .object(["$sum": .string("$costTotal")]),
                            "count": .object(["$sum": .string("$count")]),
                            "unpriced": .object(["$sum": .string("$unpriced")]),
                        ])
                    ]),
                ])
        }
        let row = rows.first
        return TenantSpend(
            tenant: tenant, fromMilliseconds: from, totalPicoUSD: row?["cost"]?.int64Value ?? 0,
            records: row?["count"]?.int64Value ?? 0, unpricedRecords: row?["unpriced"]?.int64Value ?? 0)
    }

    /// Latency percentiles and error counts per `groupBy` (`model` or `backend`) over
    /// `[from, to)`, optionally for one step (e.g. `llm`).
    public func latencyEstimates(
        groupBy field: String, from: Int64, to: Int64, step: String? = nil, deadline: ContinuousClock.Instant? = nil
    ) async throws(UsageError) -> [LatencyEstimate] {
        var match: JSONObject = [
            "minute": .object(["$gte": .integer(RollupContribution.minute(of: from)), "$lt": .integer(to)])
        ]
        if let step { match["step"] = .string(step) }
        var group: JSONObject = [
            "_id": .string("$" + field), "count": .object(["$sum": .string("$count")]),
            "errors": .object(["$sum": .string("$errors")]),
            "latencySumMs": .object(["$sum": .string("$latencySumMs")]),
        ]
        for name in LatencyHistogram.fieldNames { group[name] = .object(["$sum": .string("$" + name)]) }
        let rows = try await withStore(deadline: deadline) { session throws(MongoFailure) in
            try session.connection.aggregate(
                UsageCollections.rollups,
                pipeline: [.object(["$match": .object(match)]), .object(["$group": .object(group)])])
        }
        return rows.compactMap { row -> LatencyEstimate? in
            guard let key = row["_id"]?.stringValue, let count = row["count"]?.int64Value, count > 0 else { return nil }
            let histogram = LatencyHistogram.fieldNames.map { row[$0]?.int64Value ?? 0 }
            return LatencyEstimate(
                key: key, count: count, errors: row["errors"]?.int64Value ?? 0,
                meanMs: (row["latencySumMs"]?.int64Value ?? 0) / count,
                p50Ms: LatencyHistogram.percentile(0.5, counts: histogram) ?? 0,
                p95Ms: LatencyHistogram.percentile(0.95, counts: histogram) ?? 0,
                p99Ms: LatencyHistogram.percentile(0.99, counts: histogram) ?? 0)
        }.sorted { $0.key < $1.key }
    }

    /// Counts, tokens and cost per `groupBy` (`tenant`, `model`, `backend`, `step`, or `minute`
    /// for a time series) over `[from, to)`, optionally for one tenant.
    public func totals(
        groupBy field: String, from: Int64, to: Int64, tenant: String? = nil, deadline: ContinuousClock.Instant? = nil
    ) async throws(UsageError) -> [UsageTotals] {
        var match: JSONObject = [
            "minute": .object(["$gte": .integer(RollupContribution.minute(of: from)), "$lt": .integer(to)])
        ]
        if let tenant { match["tenant"] = .string(tenant) }
        let sums: [(String, String)] = [
            ("count", "count"), ("errors", "errors"), ("unpriced", "unpriced"), ("tokensInput", "tokensInput"),
            ("tokensOutput", "tokensOutput"), ("costModel", "costModel"), ("costCompute", "costCompute"),
            ("costOrchestration", "costOrchestration"), ("costTotal", "costTotal"),
        ]
        var group: JSONObject = ["_id": .string("$" + field)]
        for (name, source) in sums { group[name] = .object(["$sum": .string("$" + source)]) }
        let rows = try await withStore(deadline: deadline) { session throws(MongoFailure) in
            try session.connection.aggregate(
                UsageCollections.rollups,
                pipeline: [
                    .object(["$match": .object(match)]), .object(["$group": .object(group)]),
                    .object(["$sort": .object(["_id": .integer(1)])]),
                ])
        }
        return rows.map { row in
            func value(_ name: String) -> Int64 { row[name]?.int64Value ?? 0 }
            let key = row["_id"]?.stringValue ?? row["_id"]?.int64Value.map { String($0) } ?? "-"
            return UsageTotals(
                key: key, count: value("count"), errors: value("errors"), unpriced: value("unpriced"),
                tokensInput: value("tokensInput"), tokensOutput: value("tokensOutput"),
                costModelPicoUSD: value("costModel"),
                costComputePicoUSD: value("costCompute"), costOrchestrationPicoUSD: value("costOrchestration"),
                costTotalPicoUSD: value("costTotal"))
        }
    }

    /// The latest raw records, newest first (the dashboard's recent-activity list).
    public func recentActivity(limit: Int = 50, tenant: String? = nil, deadline: ContinuousClock.Instant? = nil)
        async throws(UsageError) -> [UsageRecord]
    {
        var filter = JSONObject()
        if let tenant { filter["tenant"] = .string(tenant) }
        let rows = try await withStore(deadline: deadline) { session throws(MongoFailure) in
            try session.connection.find(
                UsageCollections.raw, filter: filter,
                options: [
                    "sort": .object(["timestamp": .integer(-1)]), "limit": .integer(Int64(max(1, min(limit, 1000)))),
                ])
        }
        return rows.compactMap { try? JSON.decode(UsageRecord.self, from: $0) }
    }
}
