/// Counts per `LogLinearBuckets` index, kept sparse: what one rollup bucket stores and what a
/// query adds up. Merging is plain addition, so histograms of minutes, hours, tenants and
/// functions combine into exactly the histogram of all their values.
public struct SparseHistogram: Sendable, Equatable {
    /// Count per bucket index; no zero entries.
    public private(set) var counts: [Int: Int64]
    /// Sum of all counts.
    public private(set) var total: Int64

    public init() {
        counts = [:]
        total = 0
    }

    /// A histogram of the given values.
    public init(values: some Sequence<Int64>) {
        self.init()
        for value in values { record(value) }
    }

    /// Counts one value (ms).
    public mutating func record(_ value: Int64) { add(count: 1, at: LogLinearBuckets.index(of: value)) }

    /// Adds `count` observations to bucket `index`; indexes outside the scheme and counts ≤ 0 are
    /// ignored (a stored document cannot make the histogram invalid), and a total that would
    /// overflow stops growing.
    public mutating func add(count: Int64, at index: Int) {
        guard count > 0, index >= 0, index < LogLinearBuckets.bucketCount else { return }
        let (sum, overflow) = total.addingReportingOverflow(count)
        guard !overflow else { return }
        total = sum
        counts[index, default: 0] += count
    }

    /// Adds every count of `other`.
    public mutating func merge(_ other: SparseHistogram) {
        for (index, count) in other.counts { add(count: count, at: index) }
    }

    /// The nearest-rank percentile: the value of the observation at rank ⌈q·n⌉ (at least 1),
    /// reported as its bucket's midpoint, so within `LogLinearBuckets.maxRelativeError` of the
    /// exact value. Nil when empty.
    /// - Parameter quantile: 0...1; values outside are clamped.
    public func percentile(_ quantile: Double) -> Double? {
        guard total > 0 else { return nil }
        let q = min(max(quantile.isNaN ? 0 : quantile, 0), 1)
        let rank = max(1, min(total, Int64((q * Double(total)).rounded(.up))))
        var seen: Int64 = 0
        for index in counts.keys.sorted() {
            seen += counts[index]!
            if seen >= rank { return LogLinearBuckets.representative(of: index) }
        }
        return nil
    }

    /// Several percentiles in one pass over the sorted buckets.
    public func percentiles(_ quantiles: [Double]) -> [Double?] {
        guard total > 0 else { return quantiles.map { _ in nil } }
        let ranks = quantiles.map { q -> Int64 in
            let q = min(max(q.isNaN ? 0 : q, 0), 1)
            return max(1, min(total, Int64((q * Double(total)).rounded(.up))))
        }
        var answers = [Double?](repeating: nil, count: quantiles.count)
        var seen: Int64 = 0
        for index in counts.keys.sorted() {
            seen += counts[index]!
            for (i, rank) in ranks.enumerated() where answers[i] == nil && seen >= rank {
                answers[i] = LogLinearBuckets.representative(of: index)
            }
            if answers.allSatisfy({ $0 != nil }) { break }
        }
        return answers
    }
}
