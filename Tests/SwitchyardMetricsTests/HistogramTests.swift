import Foundation
import SwitchyardMetrics
import XCTest

/// The log-linear histogram against exact nearest-rank percentiles of the same values, computed
/// here by sorting them.
final class HistogramTests: XCTestCase {
    /// The exact nearest-rank percentile: the value at rank ⌈q·n⌉ (1-based) of the sorted values.
    func exactPercentile(_ q: Double, _ sorted: [Int64]) -> Double {
        let rank = max(1, Int((q * Double(sorted.count)).rounded(.up)))
        return Double(sorted[rank - 1])
    }

    func testBucketsTileTheValuesWithoutGapsOrOverlap() {
        var expectedLower: Int64 = 0
        for index in 0..<LogLinearBuckets.bucketCount - 1 {
            let (lower, upper) = LogLinearBuckets.bounds(of: index)
            XCTAssertEqual(lower, expectedLower, "bucket \(index)")
            XCTAssertGreaterThanOrEqual(upper, lower)
            XCTAssertEqual(LogLinearBuckets.index(of: lower), index)
            XCTAssertEqual(LogLinearBuckets.index(of: upper), index)
            expectedLower = upper + 1
        }
        // Below 128 ms every value is its own bucket.
        for v: Int64 in 0..<128 { XCTAssertEqual(LogLinearBuckets.representative(of: Int(v)), Double(v)) }
        // 128 and 129 share a 2-wide bucket (2^7 / 64 = 2); 1000 is in [512, 1024), whose buckets are
        // 2^9 / 64 = 8 wide, starting at 512 + 8k: 1000 = 512 + 8 × 61, so [1000, 1007].
        XCTAssertEqual(LogLinearBuckets.bounds(of: LogLinearBuckets.index(of: 129)).lower, 128)
        XCTAssertEqual(LogLinearBuckets.bounds(of: LogLinearBuckets.index(of: 999)).upper, 999)
        XCTAssertEqual(LogLinearBuckets.bounds(of: LogLinearBuckets.index(of: 1000)).lower, 1000)
        XCTAssertEqual(LogLinearBuckets.bounds(of: LogLinearBuckets.index(of: 1000)).upper, 1007)
        // Negative values count as 0; huge ones clamp into the last bucket.
        XCTAssertEqual(LogLinearBuckets.index(of: -5), 0)
        XCTAssertEqual(LogLinearBuckets.index(of: .max), LogLinearBuckets.bucketCount - 1)
    }

    func testEveryValueIsWithinTheStatedRelativeError() {
        var value: Int64 = 1
        while value < 1 << 40 {
            for v in [value, value + 1, value * 3 / 2, value * 2 - 1] where v >= 1 {
                let reported = LogLinearBuckets.representative(of: LogLinearBuckets.index(of: v))
                let error = abs(reported - Double(v)) / Double(v)
                XCTAssertLessThanOrEqual(error, LogLinearBuckets.maxRelativeError, "value \(v)")
            }
            value *= 2
        }
        XCTAssertLessThanOrEqual(LogLinearBuckets.maxRelativeError, 0.01)
    }

    func testPercentilesOfSkewedLatenciesMatchTheExactOnes() {
        var generator = SplitMix(seed: 42)
        for n in [1, 2, 7, 100, 1_000, 25_000] {
            // Log-normal-ish: most calls 50-800 ms, a tail to a minute.
            let values: [Int64] = (0..<n).map { _ in
                let u = generator.unit()
                let base = 50 * pow(2.0, u * 4)
                return Int64(base * (generator.unit() < 0.02 ? 60 : 1))
            }
            let histogram = SparseHistogram(values: values)
            let sorted = values.sorted()
            XCTAssertEqual(histogram.total, Int64(n))
            for q in [0.0, 0.01, 0.5, 0.9, 0.95, 0.99, 0.999, 1.0] {
                let exact = exactPercentile(q, sorted)
                let reported = histogram.percentile(q)!
                XCTAssertLessThanOrEqual(
                    abs(reported - exact), exact * LogLinearBuckets.maxRelativeError + 1e-9, "n=\(n) q=\(q)")
            }
            XCTAssertEqual(histogram.percentiles([0.5, 0.9, 0.99]), [0.5, 0.9, 0.99].map { histogram.percentile($0) })
        }
    }

    /// Merged histograms give the percentiles of all the values; averaging per-part percentiles
    /// does not (the reason rollups store histograms).
    func testMergingEqualsRecordingEverythingAndDiffersFromAveragedPercentiles() {
        let fast: [Int64] = Array(repeating: 10, count: 990)
        let slow: [Int64] = Array(repeating: 5_000, count: 10)
        var merged = SparseHistogram(values: fast)
        merged.merge(SparseHistogram(values: slow))
        XCTAssertEqual(merged, SparseHistogram(values: fast + slow))
        // p99 of all 1,000 is rank 990: still 10 ms. The mean of the two p99s would be ~2.5 s.
        XCTAssertEqual(merged.percentile(0.99), 10)
        XCTAssertEqual(merged.percentile(0.995)!, 5_000, accuracy: 5_000 * LogLinearBuckets.maxRelativeError)
        let averaged =
            (SparseHistogram(values: fast).percentile(0.99)! + SparseHistogram(values: slow).percentile(0.99)!) / 2
        XCTAssertNotEqual(averaged, merged.percentile(0.99))
    }

    func testEmptyAndHostileCountsStayValid() {
        var histogram = SparseHistogram()
        XCTAssertNil(histogram.percentile(0.5))
        XCTAssertEqual(histogram.percentiles([0.5, 0.99]), [nil, nil])
        histogram.add(count: -3, at: 5)
        histogram.add(count: 2, at: -1)
        histogram.add(count: 2, at: LogLinearBuckets.bucketCount)
        XCTAssertEqual(histogram.total, 0)
        histogram.add(count: .max, at: 3)
        histogram.add(count: 1, at: 4)  // would overflow the total: ignored
        XCTAssertEqual(histogram.total, .max)
        XCTAssertEqual(histogram.percentile(.nan), 3)
    }
}

/// A small deterministic generator for test data (SplitMix64).
struct SplitMix {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    mutating func unit() -> Double { Double(next() >> 11) / Double(1 << 53) }
}
