import SwitchyardContract
import SwitchyardMetrics

/// What one usage record adds to its per-minute rollup bucket.
///
/// Rollup buckets are keyed by (minute, tenant, tier, step, model, backend, errorType) and hold
/// sums, the coarse `LatencyHistogram` counts the router reads, and the dashboard's log-linear
/// histogram (`lh.<index>`, see `LogLinearBuckets`). The same sums are kept per hour and per day
/// (`RollupCollections`), so a month's chart reads ~30 buckets per series, not 43,200. A record's
/// contribution is stored on the raw document when it is applied, so that a changed record can be
/// rolled up as a delta (new minus applied) and a duplicate never counts twice.
public struct RollupContribution: Sendable, Hashable {
    /// Start of the UTC minute, epoch ms.
    public var minute: Int64
    public var tenant: String
    public var step: String
    public var model: String
    public var backend: String
    /// `-` when the record has none.
    public var tier: String
    /// `-` when the record has none.
    public var errorType: String
    /// `LogLinearBuckets` index of the record's latency (one count in the bucket's `lh`).
    public var latencyIndex: Int
    /// Values summed into the bucket, by field name (see `RollupContribution.fields`).
    public var values: [Int64]

    /// Summed fields of a rollup bucket, in `values` order; then the latency histogram counts.
    public static let fields: [String] =
        [
            "count", "errors", "unpriced", "tokensInput", "tokensOutput", "tokensCached", "tokensReasoning", "images",
            "costModel", "costCompute", "costOrchestration", "costTotal", "latencySumMs",
        ] + LatencyHistogram.fieldNames

    /// - Parameter latencyIndex: nil: the index of `latencySumMs`, which for one record is its latency.
    public init(
        minute: Int64, tenant: String, step: String, model: String, backend: String, values: [Int64],
        tier: String = "-", errorType: String = "-", latencyIndex: Int? = nil
    ) {
        precondition(values.count == Self.fields.count)
        self.minute = minute
        self.tenant = tenant
        self.step = step
        self.model = model
        self.backend = backend
        self.values = values
        self.tier = tier
        self.errorType = errorType
        self.latencyIndex = latencyIndex ?? LogLinearBuckets.index(of: values[12])
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
            model: record.model?.rawValue ?? "-", backend: record.backend.rawValue, values: values,
            tier: record.tier ?? "-", errorType: record.errorType ?? "-",
            latencyIndex: LogLinearBuckets.index(of: record.latency.totalMs))
    }

    public static func minute(of timestamp: Int64) -> Int64 {
        let r = timestamp % 60_000
        return timestamp - (r < 0 ? r + 60_000 : r)
    }

    /// The minute bucket's document id. The unit separator (U+001F) cannot collide with label text.
    public var bucketID: String { bucketID(start: minute, granularity: .minute) }

    /// The id of the bucket of `granularity` starting at `start`; hour and day ids carry a prefix.
    public func bucketID(start: Int64, granularity: Granularity) -> String {
        let prefix =
            switch granularity {
            case .minute: ""
            case .hour: "h\u{1F}"
            case .day: "d\u{1F}"
            }
        return
            "\(prefix)\(start)\u{1F}\(tenant)\u{1F}\(tier)\u{1F}\(step)\u{1F}\(model)\u{1F}\(backend)\u{1F}\(errorType)"
    }
}

/// One bucket's delta: the summed fields and the log-linear histogram counts.
public struct BucketChange: Sendable {
    public var id: String
    public var key: RollupContribution
    public var values: [Int64]
    /// `LogLinearBuckets` index → count delta; no zero entries.
    public var histogram: [Int: Int64]
    /// Day buckets only: hour of the day → (records, failed records) delta (`hc.<hour>`, `he.<hour>`).
    public var hours: [Int: (count: Int64, errors: Int64)] = [:]

    public init(id: String, key: RollupContribution, values: [Int64], histogram: [Int: Int64]) {
        self.id = id
        self.key = key
        self.values = values
        self.histogram = histogram
    }

    var isZero: Bool { values.allSatisfy { $0 == 0 } && histogram.isEmpty && hours.isEmpty }
}

/// Per-bucket sums of the deltas of a batch (new contributions minus previously applied ones).
public struct RollupDelta: Sendable {
    public private(set) var buckets: [String: BucketChange] = [:]

    public init() {}

    /// Adds `sign` (±1) × `contribution` to its bucket. Checked: a sum that leaves `Int64` is an
    /// input error (`Usage.InvalidRecord`) and leaves the delta unchanged, never a trap.
    public mutating func add(_ contribution: RollupContribution, sign: Int64) throws(UsageError) {
        let id = contribution.bucketID
        var entry =
            buckets[id]
            ?? BucketChange(
                id: id, key: contribution, values: [Int64](repeating: 0, count: RollupContribution.fields.count),
                histogram: [:])
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
        // A histogram count moves by ±1 per record: it cannot leave Int64 before the count field does.
        let count = entry.histogram[contribution.latencyIndex, default: 0] &+ sign
        entry.histogram[contribution.latencyIndex] = count == 0 ? nil : count
        buckets[id] = entry
    }

    /// Buckets whose delta is not all zeros (an identical re-delivery changes nothing).
    public var nonZero: [BucketChange] {
        buckets.values.filter { !$0.values.allSatisfy { $0 == 0 } || !$0.histogram.isEmpty }.sorted { $0.id < $1.id }
    }

    /// The same deltas summed per hour or per day bucket (ids from `bucketID(start:granularity:)`).
    /// - Throws: `Usage.InvalidRecord` when a sum leaves the `Int64` range.
    public static func coarser(_ changes: [BucketChange], _ granularity: Granularity) throws(UsageError)
        -> [BucketChange]
    {
        var coarse: [String: BucketChange] = [:]
        for change in changes {
            var key = change.key
            key.minute = granularity.floor(change.key.minute)
            let id = key.bucketID(start: key.minute, granularity: granularity)
            var entry =
                coarse[id] ?? BucketChange(id: id, key: key, values: change.values.map { _ in 0 }, histogram: [:])
            for i in entry.values.indices {
                let (sum, overflow) = entry.values[i].addingReportingOverflow(change.values[i])
                if overflow {
                    throw .invalidRecord(
                        index: -1, detail: "\(granularity) rollup sum of \(RollupContribution.fields[i]) leaves Int64")
                }
                entry.values[i] = sum
            }
            for (index, count) in change.histogram {
                let (sum, overflow) = entry.histogram[index, default: 0].addingReportingOverflow(count)
                if overflow { throw .invalidRecord(index: -1, detail: "\(granularity) latency count leaves Int64") }
                entry.histogram[index] = sum == 0 ? nil : sum
            }
            if granularity == .day {
                // `change` is a minute bucket's: its start says the hour.
                let hour = Int((change.key.minute - key.minute) / Granularity.hour.milliseconds)
                let old = entry.hours[hour] ?? (0, 0)
                let (count, o1) = old.count.addingReportingOverflow(change.values[0])
                let (errors, o2) = old.errors.addingReportingOverflow(change.values[1])
                if o1 || o2 { throw .invalidRecord(index: -1, detail: "hourly count of a day rollup leaves Int64") }
                entry.hours[hour] = count == 0 && errors == 0 ? nil : (count, errors)
            }
            coarse[id] = entry
        }
        return coarse.values.filter { !$0.isZero }.sorted { $0.id < $1.id }
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

    /// `coarser`, with a sum out of range reported as a store failure (inside store operations).
    static func coarserInStore(_ changes: [BucketChange], _ granularity: Granularity) throws(MongoFailure)
        -> [BucketChange]
    {
        do {
            return try coarser(changes, granularity)
        } catch {
            throw MongoFailure(domain: 0, code: 0, message: error.errorMessage)
        }
    }
}
