import SwitchyardContract
import SwitchyardMetrics
import XCTest

/// An hourly series over days reads whole days from the day buckets' per-hour counts: the points
/// must be the records counted per hour, and a day bucket without them is an error, never a
/// misplaced figure.
final class HourlySeriesTests: XCTestCase {
    let day: Int64 = 1_796_083_200_000
    let hour: Int64 = 3_600_000

    func records() -> [UsageRecord] {
        (0..<300).map { i in
            // Spread over three days at uneven times; every 7th fails; router steps count requests.
            let time = day + Int64(i) * 863_000 + Int64(i % 13) * 61_000
            return UsageRecord(
                requestID: "r\(i)", step: i % 3 == 0 ? "router" : "llm", invocationID: "v\(i)", timestamp: time,
                tenant: i % 2 == 0 ? "initech" : "acme-startup", model: i % 3 == 0 ? nil : "gpt-4o-mini",
                backend: .external, modality: .text, latency: .init(totalMs: 100 + Int64(i)),
                status: i % 7 == 0 ? .failed : .succeeded)
        }
    }

    func testHourlyPointsFromDayBucketsAreTheRecordsCountedPerHour() async throws {
        let records = records()
        let filter = MetricsFilter(from: day + 5 * hour, to: day + 3 * 24 * hour - 2 * hour)
        var aggregator = try RollupAggregator(filter: filter, bucket: .hour)
        XCTAssertTrue(aggregator.cover.segments.contains { $0.granularity == .day }, "whole days from day buckets")
        let rows = try await MemoryMetricsStore(records: records).rollupRows(
            cover: aggregator.cover, filter: filter, latency: false, deadline: .now + .seconds(5))
        for row in rows { try aggregator.add(row) }
        let volume = try aggregator.volumeResponse()
        XCTAssertEqual(volume.points.count, 3 * 24 - 7)
        for point in volume.points {
            let inHour = records.filter { $0.timestamp >= point.start && $0.timestamp < point.start + hour }
            XCTAssertEqual(point.calls, Int64(inHour.count), "hour \(point.start)")
            XCTAssertEqual(point.requests, Int64(inHour.filter { $0.step == "router" }.count))
            XCTAssertEqual(point.errors, Int64(inHour.filter { $0.status == .failed }.count))
        }
        XCTAssertEqual(volume.totals.calls, Int64(records.filter(filter.matches).count))
    }

    func testADayBucketWithoutHourlyCountsIsAnErrorInAnHourlySeries() throws {
        let filter = MetricsFilter(from: day, to: day + 24 * hour)
        var aggregator = try RollupAggregator(filter: filter, bucket: .hour)
        let legacy = RollupRow(
            start: day, granularity: .day, tenant: "initech", step: "llm", backend: "external", count: 4)
        XCTAssertThrowsError(try aggregator.add(legacy))
    }
}
