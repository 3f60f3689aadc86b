import SwitchyardContract
import Synchronization

/// Keeps the rollup rows of settled buckets in memory, in front of another store.
///
/// A bucket that ended more than `settle` ago no longer changes in the normal course (usage
/// reaches the store within seconds; the queue holds it through a store outage of up to 15
/// minutes), so a dashboard that refreshes every 30 s, or a second user, reads it from memory and
/// only the open edge of the range from the store. An entry lives `ttl` at most, so a late record
/// (a longer outage, a repair) shows within that time. Activity, drill-downs and the what-if
/// always read the store.
public final class CachedMetricsStore: MetricsStore {
    public let base: any MetricsStore
    let settle: Int64
    let ttl: Int64
    let maxRows: Int
    let now: @Sendable () -> Int64
    private let cache: Mutex<State>

    struct Key: Hashable {
        var granularity: Granularity
        var start: Int64
        var tenant: String?
        var tier: String?
        var latency: Bool
    }

    struct State {
        var entries: [Key: (rows: [RollupRow], storedAt: Int64)] = [:]
        var rows = 0
    }

    /// - Parameters:
    ///   - settle: ms after its end before a bucket is cached (default 15 minutes).
    ///   - ttl: ms a cached bucket is kept (default 10 minutes).
    ///   - maxRows: the cache is emptied when it would hold more rows than this.
    public init(
        base: any MetricsStore, settle: Int64 = 15 * 60_000, ttl: Int64 = 10 * 60_000, maxRows: Int = 500_000,
        now: @escaping @Sendable () -> Int64
    ) {
        self.base = base
        self.settle = settle
        self.ttl = ttl
        self.maxRows = maxRows
        self.now = now
        cache = Mutex(State())
    }

    /// Reads what the cache lacks a piece at a time (`pieceBuckets` buckets of one granularity per
    /// read, settled pieces first) and files each settled piece as soon as it is read, so a cold
    /// range that does not fit one deadline (a month of day buckets at a million records is tens
    /// of seconds on SecantusDB) is read across successive calls: when the next piece would not fit
    /// what is left of the deadline (twice the slowest piece so far), the call stops with
    /// `Dashboard.Warming` (done and total buckets) and the next call starts where it stopped.
    /// A read without latency histograms is also answered from entries read with them.
    public func rollupRows(cover: TimeCover, filter: MetricsFilter, latency: Bool, deadline: ContinuousClock.Instant)
        async throws(MetricsError) -> [RollupRow]
    {
        let time = now()
        let settledBefore = time - settle
        var rows: [RollupRow] = []
        var missing: [TimeCover.Segment] = []
        var total = 0
        cache.withLock { state in
            for segment in cover.segments {
                let size = segment.granularity.milliseconds
                var start = segment.from
                var runStart: Int64?
                func closeRun(at end: Int64) {
                    if let from = runStart {
                        missing.append(TimeCover.Segment(granularity: segment.granularity, from: from, to: end))
                    }
                    runStart = nil
                }
                while start < segment.to {
                    total += 1
                    let end = min(start + size, segment.to)
                    var key = Key(
                        granularity: segment.granularity, start: start, tenant: filter.tenant, tier: filter.tier,
                        latency: latency)
                    var entry = state.entries[key]
                    if entry == nil && !latency {
                        key.latency = true
                        entry = state.entries[key]
                    }
                    if end == start + size, end <= settledBefore, let entry, time - entry.storedAt < ttl {
                        closeRun(at: start)
                        rows += entry.rows
                    } else if runStart == nil {
                        runStart = start
                    }
                    start = end
                }
                closeRun(at: segment.to)
            }
        }
        guard !missing.isEmpty else { return rows }
        let pieces = Self.pieces(of: missing, settledBefore: settledBefore)
        var done = total - pieces.reduce(0) { $0 + $1.buckets }
        var slowest: Duration = .zero
        for piece in pieces {
            if slowest > .zero, piece.settled, deadline - ContinuousClock.now < slowest * 2 {
                throw .warming(done: done, total: total)
            }
            let started = ContinuousClock.now
            let fetched = try await base.rollupRows(
                cover: TimeCover(segments: [piece.segment]), filter: filter, latency: latency, deadline: deadline)
            slowest = max(slowest, ContinuousClock.now - started)
            rows += fetched
            done += piece.buckets
            if piece.settled { file(piece.segment, fetched, filter: filter, latency: latency, at: time) }
        }
        return rows
    }

    /// Most buckets one read of a cold range asks for: about a second of SecantusDB's decoding at a
    /// million records a month (~210 day, ~75 hour, ~13 minute buckets per period).
    static func pieceBuckets(_ granularity: Granularity) -> Int64 {
        switch granularity {
        case .minute: 60
        case .hour: 12
        case .day: 2
        }
    }

    /// `missing` cut into reads of at most `pieceBuckets` buckets; a piece is settled when all its
    /// buckets are whole and ended before `settledBefore`. Settled pieces first, each group in time order.
    static func pieces(of missing: [TimeCover.Segment], settledBefore: Int64)
        -> [(segment: TimeCover.Segment, buckets: Int, settled: Bool)]
    {
        var settled: [(segment: TimeCover.Segment, buckets: Int, settled: Bool)] = []
        var open: [(segment: TimeCover.Segment, buckets: Int, settled: Bool)] = []
        for segment in missing {
            let size = segment.granularity.milliseconds
            // Whole buckets that ended by `settledBefore` end at or before `cut`; the rest is one open piece.
            let whole = (segment.to - segment.from) / size
            let ended = max(0, settledBefore - segment.from) / size
            let cut = segment.from + min(whole, ended) * size
            var start = segment.from
            while start < cut {
                let end = min(cut, start + size * pieceBuckets(segment.granularity))
                let piece = TimeCover.Segment(granularity: segment.granularity, from: start, to: end)
                settled.append((piece, Int((end - start) / size), true))
                start = end
            }
            if cut < segment.to {
                let piece = TimeCover.Segment(granularity: segment.granularity, from: cut, to: segment.to)
                open.append((piece, Int((segment.to - cut + size - 1) / size), false))
            }
        }
        return settled + open
    }

    /// Files the buckets of a settled piece just read, empty ones included (an empty bucket is an
    /// answer too).
    private func file(
        _ piece: TimeCover.Segment, _ fetched: [RollupRow], filter: MetricsFilter, latency: Bool, at time: Int64
    ) {
        var byBucket: [Key: [RollupRow]] = [:]
        var start = piece.from
        while start < piece.to {
            byBucket[
                Key(
                    granularity: piece.granularity, start: start, tenant: filter.tenant, tier: filter.tier,
                    latency: latency)] = []
            start += piece.granularity.milliseconds
        }
        for row in fetched {
            let key = Key(
                granularity: row.granularity, start: row.start, tenant: filter.tenant, tier: filter.tier,
                latency: latency)
            if byBucket[key] != nil { byBucket[key]!.append(row) }
        }
        cache.withLock { state in
            let adding = byBucket.values.reduce(0) { $0 + $1.count }
            if state.rows + adding > maxRows { state = State() }
            for (key, bucketRows) in byBucket {
                state.rows += bucketRows.count - (state.entries[key]?.rows.count ?? 0)
                state.entries[key] = (bucketRows, time)
            }
        }
    }

    public func recentRecords(
        filter: MetricsFilter, activity: ActivityFilter, after cursor: ActivityCursor?, limit: Int,
        deadline: ContinuousClock.Instant
    ) async throws(MetricsError) -> [UsageRecord] {
        try await base.recentRecords(
            filter: filter, activity: activity, after: cursor, limit: limit, deadline: deadline)
    }

    public func requestRecords(requestID: String, limit: Int, deadline: ContinuousClock.Instant)
        async throws(MetricsError) -> [UsageRecord]
    {
        try await base.requestRecords(requestID: requestID, limit: limit, deadline: deadline)
    }

    public func whatIfFingerprints(from: Int64, to: Int64, tenant: String?, deadline: ContinuousClock.Instant)
        async throws(MetricsError) -> [WhatIfDayKey: WhatIfFingerprint]
    {
        try await base.whatIfFingerprints(from: from, to: to, tenant: tenant, deadline: deadline)
    }

    public func whatIfSummaries(from: Int64, to: Int64, tenant: String?, deadline: ContinuousClock.Instant)
        async throws(MetricsError) -> [WhatIfDaySummary]
    {
        try await base.whatIfSummaries(from: from, to: to, tenant: tenant, deadline: deadline)
    }

    public var keepsWhatIfSummaries: Bool { base.keepsWhatIfSummaries }

    public func saveWhatIfSummaries(_ summaries: [WhatIfDaySummary], deadline: ContinuousClock.Instant)
        async throws(MetricsError)
    {
        try await base.saveWhatIfSummaries(summaries, deadline: deadline)
    }

    public func modelCalls(filter: MetricsFilter, limit: Int, deadline: ContinuousClock.Instant)
        async throws(MetricsError) -> [UsageRecord]
    {
        try await base.modelCalls(filter: filter, limit: limit, deadline: deadline)
    }

    /// From the day rollups of the range, through the cache.
    public func dimensions(from: Int64, to: Int64, deadline: ContinuousClock.Instant) async throws(MetricsError)
        -> DimensionsResponse
    {
        let start = Granularity.day.floor(from)
        let cover = TimeCover(
            segments: [TimeCover.Segment(granularity: .day, from: start, to: Granularity.day.ceil(to))])
        let filter = MetricsFilter(from: start, to: Granularity.day.ceil(to))
        let rows = try await rollupRows(cover: cover, filter: filter, latency: false, deadline: deadline)
        var tenants: Set<DimensionsResponse.Tenant> = []
        var models: Set<String> = []
        for row in rows {
            tenants.insert(.init(tenant: row.tenant, tier: row.tier))
            if row.isModelCall { models.insert(row.model) }
        }
        return DimensionsResponse(
            tenants: tenants.sorted { ($0.tenant, $0.tier) < ($1.tenant, $1.tier) },
            tiers: Set(tenants.map(\.tier)).sorted(), models: models.sorted())
    }
}
