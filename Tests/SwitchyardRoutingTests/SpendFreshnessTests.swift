import SwitchyardContract
import SwitchyardRouting
import XCTest

/// Spend staleness reaches the decision: the snapshot carries it, says so in its note past the
/// store's grace period, and a cached figure ages with the cache.
final class SpendFreshnessTests: XCTestCase {
    final class ManualClock: @unchecked Sendable {
        var now = ContinuousClock.now
    }

    actor StaleSignals: RoutingSignals {
        var freshness = SpendFreshness(stalenessMs: 0, graceMs: 60_000)
        var calls = 0
        func set(_ value: SpendFreshness) { freshness = value }
        func monthToDateSpend(tenantID: String) async throws -> Int64? { 500 }
        func modelHealth() async throws -> [String: ModelHealth] { [:] }
        func spendFreshness() async throws -> SpendFreshness? {
            calls += 1
            return freshness
        }
    }

    func testTheSnapshotCarriesStalenessAndSaysWhenItIsPastTheGrace() async throws {
        let source = StaleSignals()
        let fresh = await source.snapshot(tenantID: "acme")
        XCTAssertEqual(fresh.spendStalenessMs, 0)
        XCTAssertNil(fresh.note)
        await source.set(SpendFreshness(stalenessMs: 60_000, graceMs: 60_000))
        let atGrace = await source.snapshot(tenantID: "acme")
        XCTAssertNil(atGrace.note, "exactly the grace is not yet stale")
        await source.set(SpendFreshness(stalenessMs: 95_000, graceMs: 60_000))
        let stale = await source.snapshot(tenantID: "acme")
        XCTAssertEqual(stale.spendStalenessMs, 95_000)
        XCTAssertEqual(stale.monthToDateSpendMicroUSD, 500, "the budget is still checked, on stale spend")
        XCTAssertTrue(stale.note?.contains("95 s behind") ?? false, stale.note ?? "no note")
        let unknown = await InMemoryRoutingSignals(spend: ["acme": 1]).snapshot(tenantID: "acme")
        XCTAssertNil(unknown.spendStalenessMs, "a source that cannot tell says nothing")
    }

    func testACachedFigureAgesWithTheCache() async throws {
        let clock = ManualClock()
        let source = StaleSignals()
        await source.set(SpendFreshness(stalenessMs: 1_000, graceMs: 60_000))
        let cached = CachedRoutingSignals(source, ttl: .seconds(15), now: { clock.now })
        let first = try await cached.spendFreshness()
        XCTAssertEqual(first?.stalenessMs, 1_000)
        clock.now = clock.now.advanced(by: .seconds(10))
        let later = try await cached.spendFreshness()
        XCTAssertEqual(later?.stalenessMs, 11_000, "served from the cache, ten seconds older")
        let calls = await source.calls
        XCTAssertEqual(calls, 1)
        clock.now = clock.now.advanced(by: .seconds(6))
        _ = try await cached.spendFreshness()
        let refreshed = await source.calls
        XCTAssertEqual(refreshed, 2, "refreshed after the TTL")
    }
}
