/// What a cost breakdown groups by.
public enum CostDimension: String, Codable, Sendable, CaseIterable {
    case tenant, model, backend
}

/// What a latency breakdown groups by.
public enum LatencyDimension: String, Codable, Sendable, CaseIterable {
    case backend, model
}

/// Adds up rollup rows into every panel's figures in one pass: plain sums for counts, tokens and
/// money (checked: a sum that leaves `Int64` is an error, not a wrapped number) and merged
/// histograms for latency, so percentiles come from all the observations, never from averaging
/// per-bucket percentiles.
public struct RollupAggregator: Sendable {
    public let filter: MetricsFilter
    public let bucket: Granularity
    public let costBy: CostDimension
    /// Most points one series may have.
    public static let maxPoints = 1_500

    private var volume: [Int64: (requests: Int64, calls: Int64, errors: Int64)] = [:]
    private var latencyByBackend: [String: (histogram: SparseHistogram, sum: Int64)] = [:]
    private var latencyByModel: [String: (histogram: SparseHistogram, sum: Int64)] = [:]
    private var cost: [String: CostSums] = [:]
    private var costByDay: [String: [Int64: Int64]] = [:]
    private var models: [String: (calls: Int64, cost: Int64, input: Int64, output: Int64)] = [:]
    private var errorTypes: [String: Int64] = [:]
    private var modelCalls: Int64 = 0
    private var modelFailures: Int64 = 0
    public private(set) var rowsRead = 0

    struct CostSums {
        var count: Int64 = 0
        var total: Int64 = 0
        var model: Int64 = 0
        var compute: Int64 = 0
        var orchestration: Int64 = 0
        var unpriced: Int64 = 0
    }

    /// - Throws: `Dashboard.TooManyPoints` when the range holds more than `maxPoints` buckets.
    public init(filter: MetricsFilter, bucket: Granularity, costBy: CostDimension = .model) throws(MetricsError) {
        let points = (bucket.ceil(filter.to) - bucket.floor(filter.from)) / bucket.milliseconds
        guard points <= Int64(Self.maxPoints) else { throw .tooManyPoints(requested: points, limit: Self.maxPoints) }
        self.filter = filter
        self.bucket = bucket
        self.costBy = costBy
    }

    /// The cover to read for this aggregation: rollups no coarser than the series bucket, except
    /// that an hourly series reads whole days from the day buckets' per-hour counts.
    public var cover: TimeCover {
        TimeCover(from: filter.from, to: filter.to, coarsest: bucket == .hour ? .day : bucket)
    }

    /// Adds one row. Rows outside the filter's range, tenant or tier are ignored (a store that
    /// returns a little more than asked cannot skew the answer).
    public mutating func add(_ row: RollupRow) throws(MetricsError) {
        guard row.start >= filter.from, row.start < filter.to else { return }
        if let tenant = filter.tenant, row.tenant != tenant { return }
        if let tier = filter.tier, row.tier != tier { return }
        rowsRead += 1
        if bucket < row.granularity {
            try addHours(row)
        } else {
            try addVolume(start: bucket.floor(row.start), step: row.step, count: row.count, errors: row.errors)
        }

        let key: String
        switch costBy {
        case .tenant: key = row.tenant
        case .model: key = row.model == "-" ? "(platform)" : row.model
        case .backend: key = row.backend
        }
        var sums = cost[key] ?? CostSums()
        sums.count = try sum(sums.count, row.count)
        sums.total = try sum(sums.total, row.costTotal)
        sums.model = try sum(sums.model, row.costModel)
        sums.compute = try sum(sums.compute, row.costCompute)
        sums.orchestration = try sum(sums.orchestration, row.costOrchestration)
        sums.unpriced = try sum(sums.unpriced, row.unpriced)
        cost[key] = sums
        let day = Granularity.day.floor(row.start)
        costByDay[key, default: [:]][day] = try sum(costByDay[key]?[day] ?? 0, row.costTotal)

        guard row.isModelCall else { return }
        modelCalls = try sum(modelCalls, row.count)
        modelFailures = try sum(modelFailures, row.errors)
        try addLatency(&latencyByBackend, row.backend, row)
        try addLatency(&latencyByModel, row.model, row)
        var usage = models[row.model] ?? (0, 0, 0, 0)
        usage.calls = try sum(usage.calls, row.count)
        usage.cost = try sum(usage.cost, row.costTotal)
        usage.input = try sum(usage.input, row.tokensInput)
        usage.output = try sum(usage.output, row.tokensOutput)
        models[row.model] = usage
        if row.errorType != "-" { errorTypes[row.errorType] = try sum(errorTypes[row.errorType] ?? 0, row.count) }
    }

    private mutating func addVolume(start: Int64, step: String, count: Int64, errors: Int64) throws(MetricsError) {
        var point = volume[start] ?? (0, 0, 0)
        if step == RollupRow.requestStep { point.requests = try sum(point.requests, count) }
        point.calls = try sum(point.calls, count)
        point.errors = try sum(point.errors, errors)
        volume[start] = point
    }

    /// A day row in an hourly series: its per-hour counts. A day bucket whose hours do not add up
    /// to its count was written before they were kept: an error, never a misplaced figure.
    private mutating func addHours(_ row: RollupRow) throws(MetricsError) {
        guard bucket == .hour, row.granularity == .day,
            row.hourCounts.values.reduce(0, &+) == row.count, row.hourErrors.values.reduce(0, &+) == row.errors,
            row.hourCounts.keys.allSatisfy({ (0..<24).contains($0) })
        else {
            throw .storeUnavailable(
                "the \(row.granularity) rollup at \(row.start) keeps no per-hour counts for an hourly series; "
                    + "rebuild the rollups of that day")
        }
        for (hour, count) in row.hourCounts {
            try addVolume(
                start: row.start + Int64(hour) * Granularity.hour.milliseconds, step: row.step, count: count,
                errors: row.hourErrors[hour] ?? 0)
        }
    }

    private func addLatency(
        _ table: inout [String: (histogram: SparseHistogram, sum: Int64)], _ key: String, _ row: RollupRow
    ) throws(MetricsError) {
        var entry = table[key] ?? (SparseHistogram(), 0)
        entry.histogram.merge(row.latency)
        entry.sum = try sum(entry.sum, row.latencySumMs)
        table[key] = entry
    }

    private func sum(_ a: Int64, _ b: Int64) throws(MetricsError) -> Int64 {
        let (value, overflow) = a.addingReportingOverflow(b)
        if overflow { throw .outOfRange("sum of \(a) and \(b)") }
        return value
    }

    // MARK: - Answers

    public func volumeResponse() throws(MetricsError) -> VolumeResponse {
        var points: [VolumeResponse.Point] = []
        var totals = VolumeResponse.Point(start: filter.from, requests: 0, calls: 0, errors: 0)
        var start = bucket.floor(filter.from)
        while start < filter.to {
            let p = volume[start] ?? (0, 0, 0)
            points.append(.init(start: start, requests: p.requests, calls: p.calls, errors: p.errors))
            totals.requests = try sum(totals.requests, p.requests)
            totals.calls = try sum(totals.calls, p.calls)
            totals.errors = try sum(totals.errors, p.errors)
            start += bucket.milliseconds
        }
        return VolumeResponse(bucket: bucket, from: filter.from, to: filter.to, points: points, totals: totals)
    }

    public func latencyResponse(by dimension: LatencyDimension) -> LatencyResponse {
        let table = dimension == .backend ? latencyByBackend : latencyByModel
        let groups = table.compactMap { key, entry -> LatencyResponse.Group? in
            let n = entry.histogram.total
            guard n > 0 else { return nil }
            let p = entry.histogram.percentiles([0.5, 0.9, 0.99])
            return .init(
                key: key, count: n, p50Ms: p[0] ?? 0, p90Ms: p[1] ?? 0, p99Ms: p[2] ?? 0,
                meanMs: Double(entry.sum) / Double(n))
        }.sorted { $0.key < $1.key }
        return LatencyResponse(
            by: dimension.rawValue, relativeError: LogLinearBuckets.maxRelativeError, groups: groups)
    }

    public func costResponse() throws(MetricsError) -> CostResponse {
        var days: [Int64] = []
        var day = Granularity.day.floor(filter.from)
        while day < filter.to {
            days.append(day)
            day += Granularity.day.milliseconds
        }
        var total: Int64 = 0
        var groups: [CostResponse.Group] = []
        for (key, s) in cost {
            total = try sum(total, s.total)
            groups.append(
                .init(
                    key: key, count: s.count, total: Money(s.total), model: Money(s.model), compute: Money(s.compute),
                    orchestration: Money(s.orchestration), unpriced: s.unpriced))
        }
        groups.sort { $0.total.picoUSD != $1.total.picoUSD ? $0.total.picoUSD > $1.total.picoUSD : $0.key < $1.key }
        let series = groups.map { group in
            CostResponse.Series(key: group.key, points: days.map { Money(costByDay[group.key]?[$0] ?? 0) })
        }
        return CostResponse(by: costBy.rawValue, total: Money(total), groups: groups, days: days, series: series)
    }

    public func modelShareResponse() -> ModelShareResponse {
        let entries = models.map { model, u in
            ModelShareResponse.Entry(
                model: model, calls: u.calls, share: modelCalls == 0 ? 0 : Double(u.calls) / Double(modelCalls),
                cost: Money(u.cost), tokensInput: u.input, tokensOutput: u.output)
        }.sorted { $0.calls != $1.calls ? $0.calls > $1.calls : $0.model < $1.model }
        return ModelShareResponse(totalCalls: modelCalls, models: entries)
    }

    public func errorsResponse() -> ErrorsResponse {
        let rate = { (n: Int64) in modelCalls == 0 ? 0 : Double(n) / Double(modelCalls) }
        let types = errorTypes.map { ErrorsResponse.Entry(errorType: $0.key, count: $0.value, rate: rate($0.value)) }
            .sorted { $0.count != $1.count ? $0.count > $1.count : $0.errorType < $1.errorType }
        return ErrorsResponse(calls: modelCalls, failed: modelFailures, errorRate: rate(modelFailures), types: types)
    }

    public func summary(generatedAt: Int64) throws(MetricsError) -> SummaryResponse {
        SummaryResponse(
            generatedAt: generatedAt, from: filter.from, to: filter.to, tenant: filter.tenant, tier: filter.tier,
            volume: try volumeResponse(), latencyByBackend: latencyResponse(by: .backend),
            latencyByModel: latencyResponse(by: .model), cost: try costResponse(), models: modelShareResponse(),
            errors: errorsResponse(), rowsRead: rowsRead)
    }
}
