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
        _ = try await sink.write(records)
        let signals = MongoRoutingSignals(sink: sink)
        let health = try await signals.modelHealth()
        let gpt = try XCTUnwrap(health["gpt-4o"])
        XCTAssertEqual(gpt.samples, 10)
        XCTAssertEqual(gpt.errorRate, 0.2, accuracy: 1e-9)
        XCTAssertEqual(gpt.p50Ms, 100)
        XCTAssertEqual(gpt.p95Ms, 2_500)
        XCTAssertNil(health["claude-3-haiku"], "3 samples are below the floor of 5")
        let spend = try await signals.monthToDateSpend(tenantID: "acme")
        let expectedPico = records.prefix(10).reduce(Int64(0)) { $0 + $1.cost!.totalPicoUSD }
        XCTAssertEqual(spend, (expectedPico + 500_000) / 1_000_000, "micro-USD, rounded")
        let nobody = try await signals.monthToDateSpend(tenantID: "nobody")
        XCTAssertEqual(nobody, 0)
    }
}
