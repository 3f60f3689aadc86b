import SwitchyardContract
import SwitchyardMetrics
import Synchronization
import XCTest

/// The rollup cache: the same rows as the store, settled buckets read once, open ones every time.
final class CachedMetricsStoreTests: XCTestCase {
    /// 2026-11-30 00:00 UTC.
    let day: Int64 = 1_796_083_200_000
    let minute: Int64 = 60_000

    /// Counts the minute/hour/day buckets each read asks the store for.
    final class CountingStore: StubbedMetricsStore {
        let base: MemoryMetricsStore
        let asked = Mutex<[Int64]>([])

        init(_ base: MemoryMetricsStore) { self.base = base }

        func rollupRows(cover: TimeCover, filter: MetricsFilter, latency: Bool, deadline: ContinuousClock.Instant)
            async throws(MetricsError) -> [RollupRow]
        {
            asked.withLock { list in
                for s in cover.segments {
                    var start = s.from
                    while start < s.to {
                        list.append(start)
                        start += s.granularity.milliseconds
                    }
                }
            }
            return try await base.rollupRows(cover: cover, filter: filter, latency: latency, deadline: deadline)
        }
    }

    /// A store whose every rollup read takes at least `delay`: a cold month on a slow store.
    final class SlowStore: StubbedMetricsStore {
        let base: CountingStore
        let delay: Duration

        init(_ base: CountingStore, delay: Duration) {
            self.base = base
            self.delay = delay
        }

        func rollupRows(cover: TimeCover, filter: MetricsFilter, latency: Bool, deadline: ContinuousClock.Instant)
            async throws(MetricsError) -> [RollupRow]
        {
            try? await Task.sleep(for: delay)
            return try await base.rollupRows(cover: cover, filter: filter, latency: latency, deadline: deadline)
        }
    }

    /// Ten settled days on a store that takes 200 ms a read, 500 ms per call: each call reads one
    /// piece (two days), keeps it and stops with `Dashboard.Warming` (the next piece would need
    /// twice the 200 ms with under 300 left); the fifth call answers, equal to the store, and no
    /// bucket was read twice. A read without histograms is then answered from the cache.
    func testAColdRangeIsReadAcrossCallsKeepingEachPiece() async throws {
        let dayMs: Int64 = 86_400_000
        let records = (0..<10).map {
            record("d\($0)", at: day + Int64($0) * dayMs + 3_600_000, latency: 10 + Int64($0))
        }
        let counting = CountingStore(MemoryMetricsStore(records: records))
        let cached = CachedMetricsStore(
            base: SlowStore(counting, delay: .milliseconds(200)), now: { [day] in day + 11 * dayMs })
        let filter = MetricsFilter(from: day, to: day + 10 * dayMs)
        let cover = TimeCover(from: filter.from, to: filter.to)
        let direct = try await counting.base.rollupRows(
            cover: cover, filter: filter, latency: true, deadline: .now + .seconds(5))
        XCTAssertEqual(direct.count, 10)

        var progress: [String] = []
        var answer: [RollupRow] = []
        for _ in 0..<8 {
            let (rows, error) = await attempt(cached, cover, filter)
            if let error {
                progress.append("\(error)")
            } else {
                answer = rows
                break
            }
        }
        XCTAssertEqual(
            progress, [2, 4, 6, 8].map { "\(MetricsError.warming(done: $0, total: 10))" })
        XCTAssertEqual(sorted(answer), sorted(direct))
        let asked = counting.asked.withLock { $0 }
        XCTAssertEqual(asked.sorted(), (0..<10).map { day + Int64($0) * dayMs })

        counting.asked.withLock { $0 = [] }
        let plain = try await cached.rollupRows(
            cover: cover, filter: filter, latency: false, deadline: .now + .seconds(5))
        XCTAssertEqual(plain.map(\.count).reduce(0, +), 10)
        XCTAssertEqual(counting.asked.withLock { $0 }, [])
    }

    /// One call with a 500 ms deadline: its rows, or its error.
    func attempt(_ store: CachedMetricsStore, _ cover: TimeCover, _ filter: MetricsFilter) async
        -> ([RollupRow], MetricsError?)
    {
        do {
            return (
                try await store.rollupRows(
                    cover: cover, filter: filter, latency: true, deadline: .now + .milliseconds(500)), nil
            )
        } catch {
            return ([], error)
        }
    }

    func record(_ id: String, at time: Int64, latency: Int64) -> UsageRecord {
        UsageRecord(
            requestID: id, step: "llm", invocationID: "inv-\(id)", timestamp: time, tenant: "acme", tier: "basic",
            model: "gpt-4o-mini", backend: .external, modality: .text, tokens: .init(input: 1, output: 1),
            latency: .init(totalMs: latency), status: .succeeded)
    }

    func sorted(_ rows: [RollupRow]) -> [String] {
        rows.map { "\($0.granularity)|\($0.bucketKey)|\($0.count)|\($0.latency.total)" }.sorted()
    }

    func testSettledBucketsAreReadOnceAndTheOpenEdgeEveryTime() async throws {
        // One record a minute over two hours; "now" is 2 h 5 min into the day.
        let records = (0..<120).map {
            record("r\($0)", at: day + Int64($0) * minute + 30_000, latency: 100 + Int64($0))
        }
        let base = CountingStore(MemoryMetricsStore(records: records))
        let clock = Mutex(day + 125 * minute)
        let cached = CachedMetricsStore(
            base: base, settle: 15 * minute, ttl: 10 * minute, now: { clock.withLock { $0 } })
        let filter = MetricsFilter(from: day, to: day + 125 * minute)
        let cover = TimeCover(from: filter.from, to: filter.to, coarsest: .hour)
        let deadline = ContinuousClock.now + .seconds(5)

        let direct = try await base.base.rollupRows(cover: cover, filter: filter, latency: true, deadline: deadline)
        let first = try await cached.rollupRows(cover: cover, filter: filter, latency: true, deadline: deadline)
        XCTAssertEqual(sorted(first), sorted(direct))
        base.asked.withLock { $0 = [] }
        let second = try await cached.rollupRows(cover: cover, filter: filter, latency: true, deadline: deadline)
        XCTAssertEqual(sorted(second), sorted(direct))
        // Hour 0 ended 65 minutes before now: cached. Hour 1 ended 5 minutes ago, within the
        // 15-minute settle time, and minutes 120...124 are still open: read again.
        XCTAssertEqual(base.asked.withLock { $0 }, [day + 60 * minute] + (120..<125).map { day + Int64($0) * minute })

        // After the time to live everything is read again.
        clock.withLock { $0 += 11 * minute }
        base.asked.withLock { $0 = [] }
        _ = try await cached.rollupRows(cover: cover, filter: filter, latency: true, deadline: deadline)
        XCTAssertEqual(base.asked.withLock { $0.count }, 2 + 5)
    }

    func testAnotherTenantIsNotServedFromTheCache() async throws {
        let records = [record("a", at: day + 1_000, latency: 5)]
        let base = CountingStore(MemoryMetricsStore(records: records))
        let cached = CachedMetricsStore(base: base, now: { [day] in day + 86_400_000 })
        let cover = TimeCover(from: day, to: day + 86_400_000, coarsest: .day)
        let deadline = ContinuousClock.now + .seconds(5)
        let all = try await cached.rollupRows(
            cover: cover, filter: MetricsFilter(from: day, to: day + 86_400_000), latency: false, deadline: deadline)
        let other = try await cached.rollupRows(
            cover: cover, filter: MetricsFilter(from: day, to: day + 86_400_000, tenant: "globex"), latency: false,
            deadline: deadline)
        XCTAssertEqual(all.count, 1)
        XCTAssertEqual(other.count, 0)
    }
}
