/// The bucket scheme of every latency histogram Switchyard stores: log-linear, like HdrHistogram
/// with two significant binary digits' worth of sub-buckets, so that any percentile read from
/// merged counts is within `maxRelativeError` of the exact one.
///
/// - Values `0..<128` ms get one bucket each: exact.
/// - Above, each power of two `[2^k, 2^(k+1))` is split into 64 equal sub-buckets, each
///   `2^(k-6)` wide. A bucket is reported by its midpoint, which is within half a width of any
///   value in it: at most `2^(k-6) / 2 / 2^k = 1/128 ≈ 0.78 %` relative error.
/// - Values above `2^maxExponent` ms (about 12.7 days) count in the last bucket.
///
/// Why not `HdrHistogram/hdrhistogram-swift`: its counts are a dense array per histogram, which a
/// rollup bucket in MongoDB cannot `$inc`; here a histogram is a sparse map from bucket index to
/// count, stored as `lh.<index>` fields that concurrent writers increment and queries add up.
/// The scheme is a few lines of integer arithmetic and brings no dependency into the functions.
public enum LogLinearBuckets {
    /// Sub-buckets per power of two, as a bit count (64).
    public static let subBucketBits = 6
    /// Below this every value has its own bucket.
    public static let linearLimit: Int64 = 128
    /// Largest exponent with its own buckets; larger values clamp into the last bucket.
    public static let maxExponent = 40
    /// Bound on |reported − exact| / exact for any value ≥ 1 (0 is exact).
    public static let maxRelativeError = 1.0 / 128.0
    /// Number of buckets (indexes `0..<bucketCount`).
    public static let bucketCount = Int(linearLimit) + (maxExponent - 7 + 1) * (1 << subBucketBits)

    /// The bucket of a value in ms; negative values count as 0.
    @inlinable public static func index(of value: Int64) -> Int {
        if value < linearLimit { return value <= 0 ? 0 : Int(value) }
        let exponent = 63 - value.leadingZeroBitCount
        if exponent > maxExponent { return bucketCount - 1 }
        let shift = exponent - subBucketBits
        let sub = Int(value >> Int64(shift)) - (1 << subBucketBits)
        return Int(linearLimit) + (exponent - 7) * (1 << subBucketBits) + sub
    }

    /// The smallest and largest value a bucket holds.
    public static func bounds(of index: Int) -> (lower: Int64, upper: Int64) {
        precondition(index >= 0 && index < bucketCount, "bucket index out of range")
        if index < Int(linearLimit) { return (Int64(index), Int64(index)) }
        let offset = index - Int(linearLimit)
        let exponent = 7 + offset >> subBucketBits
        let sub = Int64(offset & ((1 << subBucketBits) - 1))
        let shift = Int64(exponent - subBucketBits)
        let lower = ((1 << Int64(subBucketBits)) + sub) << shift
        return (lower, lower + (1 << shift) - 1)
    }

    /// The value reported for a bucket: its midpoint (exact below `linearLimit`).
    public static func representative(of index: Int) -> Double {
        let (lower, upper) = bounds(of: index)
        return (Double(lower) + Double(upper)) / 2
    }
}
