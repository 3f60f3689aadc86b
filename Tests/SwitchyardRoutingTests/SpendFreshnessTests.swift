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
        var stalenessMs: Int64 = 0
        var calls = 0
        func set(_ value: Int64) { stalenessMs = value }
        func monthToDateSpend(tenantID: String) async throws -> SpendSignal? {
            calls += 1
            return SpendSignal(amount: PicoUSD(500_000_000), stalenessMs: stalenessMs, graceMs: 60_000)
        }
        func modelHealth() async throws -> [ModelID: ModelHealth] { [:] }
    }

    func testTheSnapshotCarriesStalenessAndSaysWhenItIsPastTheGrace() async throws {
        let source = StaleSignals()
        let deadline = ContinuousClock.now + .seconds(5)
        let fresh = await source.snapshot(tenantID: "acme", deadline: deadline)
        XCTAssertEqual(fresh.spendStalenessMs, 0)
        XCTAssertNil(fresh.note)
        await source.set(60_000)
        let atGrace = await source.snapshot(tenantID: "acme", deadline: deadline)
        XCTAssertNil(atGrace.note, "exactly the grace is not yet stale")
        await source.set(95_000)
        let stale = await source.snapshot(tenantID: "acme", deadline: deadline)
        XCTAssertEqual(stale.spendStalenessMs, 95_000)
        XCTAssertEqual(stale.monthToDateSpend, PicoUSD(500_000_000), "the budget is still checked, on stale spend")
        XCTAssertTrue(stale.note?.contains("95 s behind") ?? false, stale.note ?? "no note")
    }

    func testACachedFigureAgesWithTheCache() async throws {
        let clock = ManualClock()
        let source = StaleSignals()
        await source.set(1_000)
        let cached = CachedRoutingSignals(source, ttl: .seconds(15), now: { clock.now })
        let first = try await cached.monthToDateSpend(tenantID: "acme")
        XCTAssertEqual(first?.stalenessMs, 1_000)
        clock.now = clock.now.advanced(by: .seconds(10))
        let later = try await cached.monthToDateSpend(tenantID: "acme")
        XCTAssertEqual(later?.stalenessMs, 11_000, "served from the cache, ten seconds older")
        let calls = await source.calls
        XCTAssertEqual(calls, 1)
        clock.now = clock.now.advanced(by: .seconds(6))
        _ = try await cached.monthToDateSpend(tenantID: "acme")
        let refreshed = await source.calls
        XCTAssertEqual(refreshed, 2, "refreshed after the TTL")
    }
}
