/// Fixed latency buckets for rollups, so percentiles can be read from summed per-minute counts.
///
/// Bucket i counts latencies ≤ `upperBoundsMs[i]` and > the previous bound; the last bucket is
/// open-ended. Bounds are roughly 1-2.5-5 per decade: coarse, but mergeable by plain addition,
/// which raw percentiles are not.
public enum LatencyHistogram {
    public static let upperBoundsMs: [Int64] = [10, 25, 50, 100, 250, 500, 1_000, 2_500, 5_000, 10_000, 30_000]
    public static let bucketCount = upperBoundsMs.count + 1
    /// Field names in rollup documents: `h00` ... `h11`.
    public static let fieldNames: [String] = (0..<bucketCount).map { $0 < 10 ? "h0\($0)" : "h\($0)" }

    public static func bucket(forMilliseconds ms: Int64) -> Int {
        for (i, bound) in upperBoundsMs.enumerated() where ms <= bound { return i }
        return upperBoundsMs.count
    }

    /// The upper bound of the bucket holding the `quantile` (0...1) observation, i.e. a value the
    /// true percentile does not exceed; the open last bucket reports its lower bound. Nil for no data.
    public static func percentile(_ quantile: Double, counts: [Int64]) -> Int64? {
        let total = counts.reduce(0, +)
        guard total > 0 else { return nil }
        let rank = max(1, Int64((quantile * Double(total)).rounded(.up)))
        var seen: Int64 = 0
        for (i, count) in counts.enumerated() {
            seen += count
            if seen >= rank {
                return i < upperBoundsMs.count ? upperBoundsMs[i] : upperBoundsMs[upperBoundsMs.count - 1]
            }
        }
        return upperBoundsMs.last
    }
}
