import Foundation
import SwitchyardContract
import SwitchyardJSON
import SwitchyardMetrics
import SwitchyardRouting
import Synchronization
import XCTest

/// The what-if reads its range page by page: the answer must not depend on the page size, memory
/// holds one page (no read returns more than the limit), and a deadline ends it with a typed error.
final class WhatIfPagingTests: XCTestCase {
    /// 2026-12-01 00:00 UTC: a month starts here, so budgets count from 0 as the replay does.
    let start: Int64 = 1_796_083_200_000 + 86_400_000
    let day: Int64 = 86_400_000

    func bundle() throws -> RoutingBundle { try WhatIfFixtures.shippedBundle(pricesAt: start) }

    /// Thirty days of initech (enterprise) creative/hard calls on claude-3-opus, 1 to 6 a day,
    /// and a failed attempt each day (never replayed).
    func month() -> [UsageRecord] {
        var records: [UsageRecord] = []
        for d in 0..<30 {
            for i in 0...(d % 6) {
                let id = "m\(d)-\(i)"
                var r = UsageRecord(
                    requestID: id, step: "llm", invocationID: "inv-\(id)", attempt: 0,
                    timestamp: start + Int64(d) * day + Int64(i) * 60_000, tenant: "initech", tier: "enterprise",
                    category: .creative, difficulty: .hard, model: "claude-3-opus", backend: .external,
                    modality: .text, tokens: .init(input: 1_000 + Int64(i) * 100, output: 300),
                    latency: .init(totalMs: 900), status: i == 0 && d % 2 == 0 ? .failed : .succeeded)
                r.cost = .init(
                    modelPicoUSD: 1_000_000, computePicoUSD: 0, orchestrationPicoUSD: 0, totalPicoUSD: 1_000_000,
                    unpriced: [], rateVersion: "t")
                records.append(r)
            }
        }
        return records
    }

    /// Counts reads and what each returned; optionally slow.
    final class CountingStore: StubbedMetricsStore {
        let base: MemoryMetricsStore
        let delay: Duration
        let reads = Mutex<[Int]>([])

        init(records: [UsageRecord], delay: Duration = .zero) {
            base = MemoryMetricsStore(records: records)
            self.delay = delay
        }

        func modelCalls(filter: MetricsFilter, limit: Int, deadline: ContinuousClock.Instant)
            async throws(MetricsError) -> [UsageRecord]
        {
            if delay > .zero { try? await Task.sleep(for: delay) }
            let calls = try await base.modelCalls(filter: filter, limit: limit, deadline: deadline)
            reads.withLock { $0.append(calls.count) }
            return calls
        }
    }

    func body() -> [UInt8] {
        let edit = #"{"tiers": {"enterprise": {"defaultStrategy": "cheapest"}}}"#
        return Array(#"{"from": \#(start), "to": \#(start + 30 * day), "policy": \#(edit)}"#.utf8)
    }

    func testTheAnswerDoesNotDependOnThePageSize() async throws {
        let bundle = try bundle()
        let records = month()
        let whole = CountingStore(records: records)
        let one = try await RoutingWhatIf(
            bundle: bundle, maxCallsPerPage: 1_000, pageMilliseconds: 31 * day, useSummaries: false
        ).run(
            body: body(), store: whole, now: start + 31 * day, deadline: .now + .seconds(30))
        XCTAssertEqual(whole.reads.withLock { $0.count }, 1)

        let paged = CountingStore(records: records)
        let small = try await RoutingWhatIf(bundle: bundle, maxCallsPerPage: 3, useSummaries: false).run(
            body: body(), store: paged, now: start + 31 * day, deadline: .now + .seconds(30))
        XCTAssertEqual(small, one)
        let reads = paged.reads.withLock { $0 }
        XCTAssertGreaterThan(reads.count, 30, "a day with more than 3 calls is split")
        XCTAssertLessThanOrEqual(reads.max() ?? 0, 3, "no page held more than the limit")

        // By hand: 15 failed attempts are not replayed; every other call moves claude-3-opus → gpt-4.1
        // (see test_dashboard_api.py's what-if fixtures for why).
        let succeeded = records.filter { $0.status == .succeeded }
        XCTAssertEqual(one.totals.calls, Int64(succeeded.count))
        XCTAssertEqual(one.totals.changed, Int64(succeeded.count))
        XCTAssertEqual(one.totals.actual.picoUSD, Int64(succeeded.count) * 1_000_000)
        // gpt-4.1: $2 and $8 per million input and output tokens: 2,000,000 and 8,000,000 pico-USD a token.
        let expected = succeeded.reduce(Int64(0)) { $0 + $1.tokens!.input * 2_000_000 + $1.tokens!.output * 8_000_000 }
        XCTAssertEqual(one.totals.whatIf.picoUSD, expected)
    }

    func testADeadlineEndsTheWhatIfWithATypedError() async throws {
        let slow = CountingStore(records: month(), delay: .milliseconds(40))
        do {
            _ = try await RoutingWhatIf(bundle: try bundle()).run(
                body: body(), store: slow, now: start + 31 * day, deadline: .now + .milliseconds(200))
            XCTFail("a month of 40 ms pages cannot fit in 200 ms")
        } catch let error as MetricsError {
            XCTAssertEqual(error.errorType, "Dashboard.DeadlineExceeded")
            XCTAssertEqual(error.httpStatus, 504)
        }
        XCTAssertLessThan(slow.reads.withLock { $0.count }, 30)
    }
}
