import SwitchyardContract

/// What one usage record adds to its per-minute rollup bucket.
///
/// Rollup buckets are keyed by (minute, tenant, step, model, backend) and hold sums. A record's
/// contribution is stored on the raw document when it is applied, so that a changed record can be
/// rolled up as a delta (new minus applied) and a duplicate never counts twice.
public struct RollupContribution: Sendable, Hashable {
    /// Start of the UTC minute, epoch ms.
    public var minute: Int64
    public var tenant: String
    public var step: String
    public var model: String
    public var backend: String
    /// Values summed into the bucket, by field name (see `RollupContribution.fields`).
    public var values: [Int64]

    /// Summed fields of a rollup bucket, in `values` order; then the latency histogram counts.
    public static let fields: [String] =
        [
            "count", "errors", "unpriced", "tokensInput", "tokensOutput", "tokensCached", "tokensReasoning", "images",
            "costModel", "costCompute", "costOrchestration", "costTotal", "latencySumMs",
        ] + LatencyHistogram.fieldNames

    public init(minute: Int64, tenant: String, step: String, model: String, backend: String, values: [Int64]) {
        precondition(values.count == Self.fields.count)
        self.minute = minute
        self.tenant = tenant
        self.step = step
        self.model = model
        self.backend = backend
        self.values = values
    }

    /// The contribution of a priced record.
    public init(record: UsageRecord) {
        var values = [Int64](repeating: 0, count: Self.fields.count)
        values[0] = 1
        values[1] = record.status == .failed ? 1 : 0
        values[2] = (record.cost?.unpriced.isEmpty ?? true) ? 0 : 1
        values[3] = record.tokens?.input ?? 0
        values[4] = record.tokens?.output ?? 0
        values[5] = record.tokens?.cached ?? 0
        values[6] = record.tokens?.reasoning ?? 0
        values[7] = record.images?.count ?? 0
        values[8] = record.cost?.modelPicoUSD ?? 0
        values[9] = record.cost?.computePicoUSD ?? 0
        values[10] = record.cost?.orchestrationPicoUSD ?? 0
        values[11] = record.cost?.totalPicoUSD ?? 0
        values[12] = record.latency.totalMs
        values[13 + LatencyHistogram.bucket(forMilliseconds: record.latency.totalMs)] = 1
        self.init(
            minute: Self.minute(of: record.timestamp), tenant: record.tenant, step: record.step,
            model: record.model?.rawValue ?? "-", backend: record.backend.rawValue, values: values)
    }

    public static func minute(of timestamp: Int64) -> Int64 {
        let r = timestamp % 60_000
        return timestamp - (r < 0 ? r + 60_000 : r)
    }

    /// The bucket document id. The unit separator (U+001F) cannot collide with label text.
    public var bucketID: String { "\(minute)\u{1F}\(tenant)\u{1F}\(step)\u{1F}\(model)\u{1F}\(backend)" }
}

/// Per-bucket sums of the deltas of a batch (new contributions minus previously applied ones).
public struct RollupDelta: Sendable {
    public private(set) var buckets: [String: (key: RollupContribution, values: [Int64])] = [:]

    public init() {}

    /// Adds `sign` (±1) × `contribution` to its bucket. Checked: a sum that leaves `Int64` is an
    /// input error (`Usage.InvalidRecord`) and leaves the delta unchanged, never a trap.
    public mutating func add(_ contribution: RollupContribution, sign: Int64) throws(UsageError) {
        let id = contribution.bucketID
        var entry =
            buckets[id] ?? (key: contribution, values: [Int64](repeating: 0, count: RollupContribution.fields.count))
        for i in entry.values.indices {
            let (term, o1) = contribution.values[i].multipliedReportingOverflow(by: sign)
            let (sum, o2) = entry.values[i].addingReportingOverflow(term)
            if o1 || o2 {
                throw .invalidRecord(
                    index: -1,
                    detail:
                        "rollup sum of \(RollupContribution.fields[i]) for tenant \(contribution.tenant.prefix(60)), "
                        + "step \(contribution.step.prefix(40)) leaves the Int64 range")
            }
            entry.values[i] = sum
        }
        buckets[id] = entry
    }

    /// Buckets whose delta is not all zeros (an identical re-delivery changes nothing).
    public var nonZero: [(id: String, key: RollupContribution, values: [Int64])] {
        buckets.compactMap { id, entry in entry.values.allSatisfy { $0 == 0 } ? nil : (id, entry.key, entry.values) }
            .sorted { $0.id < $1.id }
    }
}

extension RollupDelta {
    /// `add` inside a store operation: an out-of-range sum becomes a store failure that is not
    /// retried (`Usage.StoreRejected`), as MongoDB itself refuses an `$inc` that overflows.
    mutating func addInStore(_ contribution: RollupContribution, sign: Int64) throws(MongoFailure) {
        do {
            try add(contribution, sign: sign)
        } catch {
            throw MongoFailure(domain: 0, code: 0, message: error.errorMessage)
        }
    }
}
