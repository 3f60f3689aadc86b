import Foundation
import SwitchyardContract
import SwitchyardCore
import SwitchyardRouterFunction
import SwitchyardRouting
import SwitchyardUsage
import XCTest

/// The router's live signals read back from rollups. Needs `MONGODB_URI`; skipped without it
/// (failed under `SWITCHYARD_REQUIRE_SERVICES=1`).
final class MongoRoutingSignalsTests: XCTestCase {
    func testSpendAndModelHealthComeFromRollups() async throws {
        guard let uri = ProcessInfo.processInfo.environment["MONGODB_URI"], !uri.isEmpty else {
            throw RequiredServices.missing("MONGODB_URI not set: start a database with scripts/start-mongo")
        }
        var configuration = MongoUsageConfiguration(uri: uri)
        configuration.database = "signals_test_\(UInt32.random(in: 0...UInt32.max))"
        let sink = try MongoUsageSink(configuration: configuration)
        let now = WallClock.nowMilliseconds()
        var records: [UsageRecord] = []
        for i in 0..<10 {
            // gpt-4o: 8 fast successes, 2 slow failures; claude-3-haiku: 3 calls (below the sample floor).
            records.append(
                Fixtures.llm(
                    "s-\(i)", tenant: "acme", latencyMs: i < 8 ? 90 : 2_000, status: i < 8 ? .succeeded : .failed,
                    at: now - 60_000
                )
                .pricedForTest())
        }
        for i in 0..<3 {
            records.append(
                Fixtures.llm("h-\(i)", tenant: "globex", model: "claude-3-haiku", at: now - 60_000).pricedForTest())
        }
        _ = try await sink.write(records, deadline: .now + .seconds(30))
        let signals = try MongoRoutingSignals(configuration: configuration)
        let health = try await signals.modelHealth()
        let gpt = try XCTUnwrap(health["gpt-4o"])
        XCTAssertEqual(gpt.samples, 10)
        XCTAssertEqual(gpt.errorRate, 0.2, accuracy: 1e-9)
        XCTAssertEqual(gpt.p50Ms, 100)
        XCTAssertEqual(gpt.p95Ms, 2_500)
        XCTAssertNil(health["claude-3-haiku"], "3 samples are below the floor of 5")
        let spend = try await signals.monthToDateSpend(tenantID: "acme")
        let expectedPico = records.prefix(10).reduce(Int64(0)) { $0 + $1.cost!.totalPicoUSD }
        XCTAssertEqual(spend?.amount, PicoUSD(expectedPico), "exact pico-USD, no rounding")
        let nobody = try await signals.monthToDateSpend(tenantID: "nobody")
        XCTAssertEqual(nobody?.amount, .zero)
    }

    /// The router reads spend + open reservations from the ledger, and the rollups' freshness.
    func testSpendIncludesReservationsAndFreshnessIsReported() async throws {
        guard let uri = ProcessInfo.processInfo.environment["MONGODB_URI"], !uri.isEmpty else {
            throw XCTSkip("MONGODB_URI not set: start a database with scripts/start-mongo")
        }
        var configuration = MongoUsageConfiguration(uri: uri)
        configuration.database = "signals_ledger_\(UInt32.random(in: 0...UInt32.max))"
        let sink = try MongoUsageSink(configuration: configuration)
        let now = WallClock.nowMilliseconds()
        let record = Fixtures.llm("ledger-1", tenant: "acme", at: now - 60_000).pricedForTest()
        _ = try await sink.write([record], deadline: .now + .seconds(30))
        _ = try await sink.reserve(
            tenant: "acme", requestID: "in-flight", ceiling: PicoUSD(2_000_000), budget: PicoUSD(1_000_000_000_000),
            deadline: .now + .seconds(30))
        let signals = try MongoRoutingSignals(configuration: configuration)
        let read = try await signals.monthToDateSpend(tenantID: "acme")
        let spend = try XCTUnwrap(read)
        XCTAssertEqual(spend.amount, PicoUSD(record.cost!.totalPicoUSD + 2_000_000))
        XCTAssertEqual(spend.stalenessMs, 0)
        XCTAssertEqual(spend.graceMs, 60_000)
        XCTAssertFalse(spend.isStale)
    }
}
