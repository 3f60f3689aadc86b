import SwitchyardContract

extension RollupRow {
    /// The row one record makes in a bucket of `granularity`: the same sums the usage store's
    /// rollups keep, so an in-memory store (and a test's reference) adds up exactly as MongoDB does.
    public init(record: UsageRecord, granularity: Granularity) {
        var latency = SparseHistogram()
        latency.record(record.latency.totalMs)
        self.init(
            start: granularity.floor(record.timestamp), granularity: granularity, tenant: record.tenant,
            tier: record.tier ?? "-", step: record.step, model: record.model?.rawValue ?? "-",
            backend: record.backend.rawValue, errorType: record.errorType ?? "-", count: 1,
            errors: record.status == .failed ? 1 : 0, unpriced: (record.cost?.unpriced.isEmpty ?? true) ? 0 : 1,
            tokensInput: record.tokens?.input ?? 0, tokensOutput: record.tokens?.output ?? 0,
            costModel: record.cost?.modelPicoUSD ?? 0, costCompute: record.cost?.computePicoUSD ?? 0,
            costOrchestration: record.cost?.orchestrationPicoUSD ?? 0, costTotal: record.cost?.totalPicoUSD ?? 0,
            latencySumMs: record.latency.totalMs, latency: latency)
        if granularity == .day {
            let hour = Int((record.timestamp - start) / Granularity.hour.milliseconds)
            hourCounts[hour] = 1
            if errors > 0 { hourErrors[hour] = errors }
        }
    }

    /// The bucket key: rows with equal keys add up into one.
    public var bucketKey: String {
        "\(start)\u{1F}\(tenant)\u{1F}\(tier)\u{1F}\(step)\u{1F}\(model)\u{1F}\(backend)\u{1F}\(errorType)"
    }

    /// Adds another row's sums (same key) to this one; wrapping cannot happen for in-memory test
    /// data sizes, and a real store's rows are added by the aggregator with checked sums.
    public mutating func absorb(_ other: RollupRow) {
        count &+= other.count
        errors &+= other.errors
        unpriced &+= other.unpriced
        tokensInput &+= other.tokensInput
        tokensOutput &+= other.tokensOutput
        costModel &+= other.costModel
        costCompute &+= other.costCompute
        costOrchestration &+= other.costOrchestration
        costTotal &+= other.costTotal
        latencySumMs &+= other.latencySumMs
        latency.merge(other.latency)
        hourCounts.merge(other.hourCounts, uniquingKeysWith: &+)
        hourErrors.merge(other.hourErrors, uniquingKeysWith: &+)
    }
}
