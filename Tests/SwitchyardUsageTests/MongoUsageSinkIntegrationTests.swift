import Foundation
import SwitchyardBilling
import SwitchyardContract
import SwitchyardUsage
import XCTest

/// Writes through libmongoc into a real MongoDB-protocol server. Needs `MONGODB_URI`
/// (e.g. `export MONGODB_URI=$(scripts/start-mongo)`); skipped without it, failed without it
/// under `SWITCHYARD_REQUIRE_SERVICES=1` (scripts/test, CI).
final class MongoUsageSinkIntegrationTests: XCTestCase {
    var sink: MongoUsageSink!
    var database = ""

    override func setUpWithError() throws {
        guard let uri = ProcessInfo.processInfo.environment["MONGODB_URI"], !uri.isEmpty else {
            throw RequiredServices.missing(
                "MONGODB_URI not set: start a database with scripts/start-mongo to run the MongoDB integration tests")
        }
        database = "usage_test_\(UInt32.random(in: 0...UInt32.max))"
        var configuration = MongoUsageConfiguration(uri: uri)
        configuration.database = database
        sink = try MongoUsageSink(configuration: configuration)
    }

    func testDuplicatesAreStoredAndCountedOnce() async throws {
        let records = (0..<20).map { Fixtures.llm("req-\($0)").pricedForTest() }
        let first = try await sink.write(records, deadline: .now + .seconds(30))
        XCTAssertEqual(first.inserted, 20)
        XCTAssertEqual(first.duplicates, 0)
        let again = try await sink.write(records, deadline: .now + .seconds(30))
        XCTAssertEqual(again.inserted, 0)
        XCTAssertEqual(again.duplicates, 20)
        XCTAssertEqual(again.rollupBuckets, 0)
        let totals = try await sink.totals(groupBy: "tenant", from: Fixtures.noon - 60_000, to: Fixtures.noon + 60_000)
        XCTAssertEqual(totals.count, 1)
        XCTAssertEqual(totals.first?.count, 20)
        XCTAssertEqual(totals.first?.tokensInput, 20_000)
        // GPT-4o at $5/$20 per 1M: 20 × $0.015 = $0.30 of model cost.
        XCTAssertEqual(totals.first?.costModelPicoUSD, 300_000_000_000)
        XCTAssertEqual(totals.first?.costTotalPicoUSD, records.reduce(0) { $0 + $1.cost!.totalPicoUSD })
    }

    func testChangedDeliveryIsRolledUpAsADelta() async throws {
        let failed = Fixtures.llm("req-retry", latencyMs: 30_001, status: .failed).pricedForTest()
        _ = try await sink.write([failed], deadline: .now + .seconds(30))
        var succeeded = Fixtures.llm("req-retry", latencyMs: 80).pricedForTest()
        succeeded.providerModel = "gpt-4o-2024-08-06"
        let summary = try await sink.write([succeeded], deadline: .now + .seconds(30))
        XCTAssertEqual(summary.updated, 1)
        let estimates = try await sink.latencyEstimates(
            groupBy: "model", from: Fixtures.noon, to: Fixtures.noon + 60_000)
        XCTAssertEqual(estimates.first?.count, 1)
        XCTAssertEqual(estimates.first?.errors, 0)
        XCTAssertEqual(estimates.first?.p50Ms, 100)
        let spend = try await sink.monthToDateSpend(tenant: "acme", now: Fixtures.noon)
        XCTAssertEqual(spend.totalPicoUSD, succeeded.cost!.totalPicoUSD)
        XCTAssertEqual(spend.records, 1)
    }

    func testUnpricedModelIsKeptAndFlagged() async throws {
        let record = Fixtures.llm("req-unknown", model: "gpt-9-ultra").pricedForTest()
        XCTAssertEqual(record.cost?.unpriced, ["model"])
        let summary = try await sink.write([record], deadline: .now + .seconds(30))
        XCTAssertEqual(summary.unpriced, 1)
        let spend = try await sink.monthToDateSpend(tenant: "acme", now: Fixtures.noon)
        XCTAssertEqual(spend.unpricedRecords, 1)
        let recent = try await sink.recentActivity(limit: 5)
        XCTAssertEqual(recent.first?.model, "gpt-9-ultra")
        XCTAssertEqual(recent.first?.cost?.unpriced, ["model"])
    }

    func testRebuildFromRawMatchesWriteTimeRollups() async throws {
        var records: [UsageRecord] = []
        for i in 0..<30 {
            let tenant = i % 2 == 0 ? "acme" : "globex"
            let at = Fixtures.noon + Int64(i) * 7_000
            records.append(
                Fixtures.llm("req-r\(i)", tenant: tenant, latencyMs: Int64(i * 37), at: at).pricedForTest())
        }
        _ = try await sink.write(records, deadline: .now + .seconds(30))
        let before = try await sink.totals(groupBy: "minute", from: Fixtures.noon, to: Fixtures.noon + 3_600_000)
        let read = try await sink.rebuildRollups(fromMinute: Fixtures.noon, toMinute: Fixtures.noon + 3_600_000)
        XCTAssertEqual(read, 30)
        let after = try await sink.totals(groupBy: "minute", from: Fixtures.noon, to: Fixtures.noon + 3_600_000)
        XCTAssertEqual(before, after)
        XCTAssertEqual(after.reduce(0) { $0 + $1.count }, 30)
    }
}

/// Needs no database: port 9 (discard) refuses connections on loopback.
final class MongoUsageSinkUnreachableTests: XCTestCase {
    func testUnreachableStoreGivesTypedErrorAfterBoundedRetries() async throws {
        var configuration = MongoUsageConfiguration(uri: "mongodb://127.0.0.1:9/?serverSelectionTimeoutMS=200")
        configuration.maxAttempts = 2
        configuration.backoffMilliseconds = 10
        let unreachable = try MongoUsageSink(configuration: configuration)
        let started = ContinuousClock.now
        do {
            _ = try await unreachable.write([Fixtures.llm("req-x").pricedForTest()], deadline: .now + .seconds(30))
            XCTFail("expected Usage.StoreUnavailable")
        } catch let error as UsageError {
            XCTAssertEqual(error.errorType, "Usage.StoreUnavailable")
            XCTAssertTrue(error.errorMessage.contains("2 attempts"), error.errorMessage)
        }
        XCTAssertLessThan(ContinuousClock.now - started, .seconds(5))
    }
}
