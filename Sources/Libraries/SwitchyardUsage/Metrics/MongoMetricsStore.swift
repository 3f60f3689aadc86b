import SwitchyardContract
import SwitchyardCore
import SwitchyardJSON
import SwitchyardMetrics

/// The dashboard's `MetricsStore` over the usage store: charts read the minute, hour and day
/// rollups that `MongoUsageSink` keeps at write time (a month is about 30 day buckets per series),
/// recent activity and drill-downs read raw records through the `time`, `tenant_time` and
/// `usage_key` indexes, never by a scan.
public struct MongoMetricsStore: MetricsStore {
    public let sink: MongoUsageSink

    public init(sink: MongoUsageSink) { self.sink = sink }

    /// Raw-document fields that are the store's bookkeeping, not the record.
    static let bookkeeping: JSONObject = [
        "_id": .integer(0), "h": .integer(0), "a": .integer(0), "ah": .integer(0), "p": .integer(0),
        "ph": .integer(0), "rb": .integer(0), "rbAt": .integer(0), "at": .integer(0),
    ]

    public func rollupRows(cover: TimeCover, filter: MetricsFilter, latency: Bool, deadline: ContinuousClock.Instant)
        async throws(MetricsError) -> [RollupRow]
    {
        var rows: [RollupRow] = []
        for granularity in Granularity.allCases {
            let field = RollupCollections.startField(granularity)
            var projection: JSONObject = ["b": .integer(0), "_id": .integer(0)]
            if !latency { projection["lh"] = .integer(0) }
            for name in LatencyHistogram.fieldNames { projection[name] = .integer(0) }
            // One query per segment, not an `$or` of them: SecantusDB plans no index for a
            // top-level `$or` and scans the whole collection (seconds for a month of minute buckets).
            for segment in cover.segments(of: granularity) {
                var query: JSONObject = [field: .object(["$gte": .integer(segment.from), "$lt": .integer(segment.to)])]
                if let tenant = filter.tenant { query["tenant"] = .string(tenant) }
                if let tier = filter.tier { query["tier"] = .string(tier) }
                let documents = try await read(deadline) { connection throws(MongoFailure) in
                    try connection.find(
                        RollupCollections.name(granularity), filter: query,
                        options: ["projection": .object(projection)])
                }
                for document in documents {
                    if let row = RollupRow(document: document, granularity: granularity) { rows.append(row) }
                }
            }
        }
        return rows
    }

    /// Reads back from the end of the range in growing windows (15 minutes, then ×4) until the page
    /// is full, and orders in memory: SecantusDB does not use an index for a sort, and a sorted
    /// scan of a month of records takes seconds where a window takes ms. Each window goes through
    /// the compound index that pins the most selective of the filters (`plan`), so a rare status
    /// walks only its own entries however long the range is.
    public func recentRecords(
        filter: MetricsFilter, activity: ActivityFilter, after cursor: ActivityCursor?, limit: Int,
        deadline: ContinuousClock.Instant
    ) async throws(MetricsError) -> [UsageRecord] {
        var equalities = Self.equalities(filter)
        if let status = activity.status { equalities.append(("status", status.rawValue)) }
        if let model = activity.model { equalities.append(("model", model)) }
        let plan = Self.plan(equalities)
        var found: [UsageRecord] = []
        // Records at the cursor's millisecond may still follow it (ties are ordered by key).
        var upper = min(filter.to, cursor.map { $0.timestamp + 1 } ?? filter.to)
        var window: Int64 = 15 * 60_000
        while upper > filter.from && found.count < limit {
            let lower = max(filter.from, upper - window)
            let documents = try await read(deadline) { connection throws(MongoFailure) in
                try connection.find(
                    UsageCollections.raw, filter: plan.query(from: lower, to: upper),
                    options: ["projection": .object(Self.bookkeeping)])
            }
            found += try Self.records(documents.filter(plan.matchesResidual)).filter { cursor?.precedes($0) ?? true }
            upper = lower
            window = min(window * 4, 366 * 86_400_000)
        }
        found.sort { $0.timestamp != $1.timestamp ? $0.timestamp > $1.timestamp : $0.cursorKey > $1.cursorKey }
        return Array(found.prefix(limit))
    }

    public func requestRecords(requestID: String, limit: Int, deadline: ContinuousClock.Instant)
        async throws(MetricsError) -> [UsageRecord]
    {
        let documents = try await read(deadline) { connection throws(MongoFailure) in
            try connection.find(
                UsageCollections.raw, filter: ["requestId": .string(requestID)],
                options: ["limit": .integer(Int64(limit)), "projection": .object(Self.bookkeeping)])
        }
        return try Self.records(documents)
    }

    /// Answered LLM calls through `step_status_time` (or a tenant's or tier's index), without the
    /// fields the replay does not read; `[from, to)` is one page of the what-if's range.
    public func modelCalls(filter: MetricsFilter, limit: Int, deadline: ContinuousClock.Instant)
        async throws(MetricsError) -> [UsageRecord]
    {
        let plan = Self.plan(
            Self.equalities(filter) + [("step", "llm"), ("status", UsageStatus.succeeded.rawValue)])
        var projection = Self.bookkeeping
        for name in ["compute", "orchestration", "executionId", "errorCause", "providerModel", "user"] {
            projection[name] = .integer(0)
        }
        let documents = try await read(deadline) { connection throws(MongoFailure) in
            try connection.find(
                UsageCollections.raw, filter: plan.query(from: filter.from, to: filter.to),
                options: ["projection": .object(projection)])
        }
        let matching = documents.filter(plan.matchesResidual)
        guard matching.count <= limit else { throw .tooManyPoints(requested: Int64(matching.count), limit: limit) }
        return try Self.records(matching)
    }

    /// The LLM rows of the day buckets, only their key fields and the five summed ones: through
    /// `{step, start}` (SecantusDB plans a compound index only when the query's equalities are
    /// exactly its leading fields; `{start}` plus a `step` filter walks every step's buckets), or
    /// through `{tenant, start}` for one tenant, its other steps dropped here.
    public func whatIfFingerprints(from: Int64, to: Int64, tenant: String?, deadline: ContinuousClock.Instant)
        async throws(MetricsError) -> [WhatIfDayKey: WhatIfFingerprint]
    {
        var query: JSONObject = ["start": .object(["$gte": .integer(from), "$lt": .integer(to)])]
        if let tenant { query["tenant"] = .string(tenant) } else { query["step"] = .string("llm") }
        var projection: JSONObject = ["_id": .integer(0)]
        for name in [
            "start", "tenant", "step", "backend", "count", "errors", "tokensInput", "tokensOutput", "costModel",
        ] {
            projection[name] = .integer(1)
        }
        let documents = try await read(deadline) { connection throws(MongoFailure) in
            try connection.find(
                RollupCollections.name(.day), filter: query, options: ["projection": .object(projection)])
        }
        return WhatIfFingerprint.of(documents.compactMap { RollupRow(document: $0, granularity: .day) })
    }

    /// Through `{day}` or `{tenant, day}`.
    public func whatIfSummaries(from: Int64, to: Int64, tenant: String?, deadline: ContinuousClock.Instant)
        async throws(MetricsError) -> [WhatIfDaySummary]
    {
        var query: JSONObject = ["day": .object(["$gte": .integer(from), "$lt": .integer(to)])]
        if let tenant { query["tenant"] = .string(tenant) }
        let documents = try await read(deadline) { connection throws(MongoFailure) in
            try connection.find(
                UsageCollections.whatIfDays, filter: query, options: ["projection": .object(["_id": .integer(0)])])
        }
        // One that no longer decodes is left out: its day is replayed from raw records and rebuilt.
        return documents.compactMap(Self.summary)
    }

    /// A stored summary: its groups packed in `g` (one JSON string), or, as stored before, a
    /// `groups` array of documents.
    static func summary(_ document: JSON) -> WhatIfDaySummary? {
        guard case .object(var object) = document else { return nil }
        let packed = object["g"]
        object["g"] = nil
        guard var summary = try? JSON.decode(WhatIfDaySummary.self, from: JSON.object(object)) else { return nil }
        if case .string(let text)? = packed {
            guard let groups = try? JSON.decode([WhatIfCallGroup].self, from: text) else { return nil }
            summary.groups = groups
        }
        return summary
    }

    public var keepsWhatIfSummaries: Bool { true }

    /// Replaces each tenant-day's document. A summary is at most `WhatIfDaySummary.maxGroups` groups
    /// (hints ≤ 1 KiB each), a few MB at worst; one over `maxSummaryBytes` is not stored.
    ///
    /// The groups are stored packed, as one JSON string in `g`, not as an array of documents:
    /// SecantusDB walks every field of a document it reads or writes, and a day's summaries at a
    /// million records a month are thousands of groups of twenty fields; packed, the same seven
    /// tenant-days read in 12–24 ms instead of 240–630 ms.
    public func saveWhatIfSummaries(_ summaries: [WhatIfDaySummary], deadline: ContinuousClock.Instant)
        async throws(MetricsError)
    {
        var operations: [MongoConnection.UpdateOne] = []
        for summary in summaries {
            var unpacked = summary
            unpacked.groups = nil
            guard case .object(var document)? = try? JSON.encodeToJSON(unpacked) else { continue }
            document["groups"] = nil
            // The call log is one string field already (`WhatIfCallLog`), counted with the groups.
            var size = summary.log?.text.utf8.count ?? 0
            if let groups = summary.groups {
                guard let packed = try? JSON.encode(groups) else { continue }
                size += packed.count
                document["g"] = .string(String(decoding: packed, as: UTF8.self))
            }
            guard size <= Self.maxSummaryBytes else { continue }
            // Every top-level field is set whole (an update, not a replacement, is what a bulk
            // update takes); an unpacked `groups` of an older summary goes, `g` too when the day
            // has no groups to keep, and `log` when it has none (an old log never meets new groups).
            var update: JSONObject = ["$set": .object(document)]
            var unset: JSONObject = ["groups": .string("")]
            if summary.groups == nil { unset["g"] = .string("") }
            if summary.log == nil { unset["log"] = .string("") }
            update["$unset"] = .object(unset)
            operations.append(
                MongoConnection.UpdateOne(
                    filter: ["_id": .string("\(summary.day)\u{1F}\(summary.tenant)")], update: update, upsert: true))
        }
        guard !operations.isEmpty else { return }
        let failed = try await read(deadline) { connection throws(MongoFailure) in
            try connection.bulkUpdate(UsageCollections.whatIfDays, operations, durability: .relaxed).writeErrors.first
        }
        if let failed { throw .storeUnavailable("what-if summary: \(failed.message.prefix(200))") }
    }

    /// Largest summary document stored (MongoDB's limit is 16 MiB).
    public static let maxSummaryBytes = 8 * 1_048_576

    public func dimensions(from: Int64, to: Int64, deadline: ContinuousClock.Instant) async throws(MetricsError)
        -> DimensionsResponse
    {
        let field = RollupCollections.startField(.day)
        let documents = try await read(deadline) { connection throws(MongoFailure) in
            try connection.find(
                RollupCollections.name(.day),
                filter: [field: .object(["$gte": .integer(Granularity.day.floor(from)), "$lt": .integer(to)])],
                options: [
                    "projection": .object([
                        "_id": .integer(0), "tenant": .integer(1), "tier": .integer(1), "model": .integer(1),
                    ])
                ])
        }
        var tenants: Set<DimensionsResponse.Tenant> = []
        var models: Set<String> = []
        for document in documents {
            guard let tenant = document["tenant"]?.stringValue else { continue }
            tenants.insert(.init(tenant: tenant, tier: document["tier"]?.stringValue ?? "-"))
            if let model = document["model"]?.stringValue, model != "-" { models.insert(model) }
        }
        return DimensionsResponse(
            tenants: tenants.sorted { ($0.tenant, $0.tier) < ($1.tenant, $1.tier) },
            tiers: Set(tenants.map(\.tier)).sorted(), models: models.sorted())
    }

    // MARK: - Helpers

    static func equalities(_ filter: MetricsFilter) -> [(field: String, value: String)] {
        var equalities: [(field: String, value: String)] = []
        if let tenant = filter.tenant { equalities.append(("tenant", tenant)) }
        if let tier = filter.tier { equalities.append(("tier", tier)) }
        return equalities
    }

    static func records(_ documents: [JSON]) throws(MetricsError) -> [UsageRecord] {
        var records: [UsageRecord] = []
        records.reserveCapacity(documents.count)
        for document in documents {
            // A stored record that no longer decodes is left out rather than failing the page.
            if let record = try? JSON.decode(UsageRecord.self, from: document) { records.append(record) }
        }
        return records
    }

    /// Runs a read against the store within `deadline`.
    func read<T: Sendable>(_ deadline: ContinuousClock.Instant, _ body: (MongoConnection) throws(MongoFailure) -> T)
        async throws(MetricsError) -> T
    {
        do {
            return try await sink.withStore(deadline: deadline) { session throws(MongoFailure) in
                try body(session.connection)
            }
        } catch {
            throw .storeUnavailable(error.errorMessage)
        }
    }
}

extension RollupRow {
    /// A stored rollup bucket; nil when it lacks its key fields.
    init?(document: JSON, granularity: Granularity) {
        guard let start = document[RollupCollections.startField(granularity)]?.int64Value,
            let tenant = document["tenant"]?.stringValue, let step = document["step"]?.stringValue,
            let backend = document["backend"]?.stringValue
        else { return nil }
        func value(_ name: String) -> Int64 { document[name]?.int64Value ?? 0 }
        var histogram = SparseHistogram()
        if case .object(let counts)? = document["lh"] {
            for (key, count) in counts.members {
                if let index = Int(key), let count = count.int64Value { histogram.add(count: count, at: index) }
            }
        }
        self.init(
            start: start, granularity: granularity, tenant: tenant, tier: document["tier"]?.stringValue ?? "-",
            step: step, model: document["model"]?.stringValue ?? "-", backend: backend,
            errorType: document["errorType"]?.stringValue ?? "-", count: value("count"), errors: value("errors"),
            unpriced: value("unpriced"), tokensInput: value("tokensInput"), tokensOutput: value("tokensOutput"),
            costModel: value("costModel"), costCompute: value("costCompute"),
            costOrchestration: value("costOrchestration"), costTotal: value("costTotal"),
            latencySumMs: value("latencySumMs"), latency: histogram)
        if granularity == .day {
            hourCounts = Self.hours(document["hc"])
            hourErrors = Self.hours(document["he"])
        }
    }

    /// `{"<hour>": count}` of a day bucket; zero entries left out.
    static func hours(_ field: JSON?) -> [Int: Int64] {
        guard case .object(let object)? = field else { return [:] }
        var hours: [Int: Int64] = [:]
        for (key, value) in object.members {
            if let hour = Int(key), let count = value.int64Value, count != 0 { hours[hour] = count }
        }
        return hours
    }
}
