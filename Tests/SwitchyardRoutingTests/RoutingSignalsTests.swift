import SwitchyardContract
import SwitchyardRouting
import XCTest

final class RoutingSignalsTests: XCTestCase {
    final class ManualClock: @unchecked Sendable {
        var now = ContinuousClock.now
    }

    actor FlakySignals: RoutingSignals {
        var failing = false
        var spend: Int64 = 100
        func setFailing(_ value: Bool) { failing = value }
        func setSpend(_ value: Int64) { spend = value }
        struct Down: Error {}
        func monthToDateSpend(tenantID: String) async throws -> Int64? {
            if failing { throw Down() }
            return spend
        }
        func modelHealth() async throws -> [String: ModelHealth] {
            if failing { throw Down() }
            return ["gpt-4o": ModelHealth(p50Ms: 1, p95Ms: 2, errorRate: 0, samples: 50)]
        }
    }

    func testInMemoryRecordsSpend() async throws {
        let signals = InMemoryRoutingSignals()
        await signals.record(tenantID: "a", costMicroUSD: 10)
        await signals.record(tenantID: "a", costMicroUSD: 5)
        let spend = try await signals.monthToDateSpend(tenantID: "a")
        XCTAssertEqual(spend, 15)
        let none = try await signals.monthToDateSpend(tenantID: "b")
        XCTAssertNil(none)
    }

    func testCacheServesWithinTTLAndRefreshesAfter() async throws {
        let clock = ManualClock()
        let base = FlakySignals()
        let cached = CachedRoutingSignals(base, ttl: .seconds(10), staleLimit: .seconds(60), now: { clock.now })
        let first = try await cached.monthToDateSpend(tenantID: "t")
        XCTAssertEqual(first, 100)
        await base.setSpend(200)
        clock.now += .seconds(5)
        let cachedValue = try await cached.monthToDateSpend(tenantID: "t")
        XCTAssertEqual(cachedValue, 100, "within TTL")
        clock.now += .seconds(6)
        let refreshed = try await cached.monthToDateSpend(tenantID: "t")
        XCTAssertEqual(refreshed, 200, "after TTL")
        let calls = await cached.baseCalls
        XCTAssertEqual(calls, 2)
    }

    func testStaleValueServedWhileSourceIsDownThenFailureSurfaces() async throws {
        let clock = ManualClock()
        let base = FlakySignals()
        let cached = CachedRoutingSignals(base, ttl: .seconds(10), staleLimit: .seconds(60), now: { clock.now })
        _ = try await cached.modelHealth()
        _ = try await cached.monthToDateSpend(tenantID: "t")
        await base.setFailing(true)
        clock.now += .seconds(30)
        let stale = try await cached.monthToDateSpend(tenantID: "t")
        XCTAssertEqual(stale, 100)
        let health = try await cached.modelHealth()
        XCTAssertEqual(health["gpt-4o"]?.samples, 50)
        clock.now += .seconds(60)
        do {
            _ = try await cached.monthToDateSpend(tenantID: "t")
            XCTFail("stale limit passed; expected the source's error")
        } catch {}
        let snapshot = await cached.snapshot(tenantID: "t")
        XCTAssertNil(snapshot.monthToDateSpendMicroUSD)
        XCTAssertTrue(snapshot.note?.contains("spend unavailable") ?? false)
        XCTAssertTrue(snapshot.note?.contains("model health unavailable") ?? false)
    }
}

final class CachedSignalsFailureTests: XCTestCase {
    func testFailureIsCachedForOneTTL() async throws {
        let clock = RoutingSignalsTests.ManualClock()
        let base = RoutingSignalsTests.FlakySignals()
        await base.setFailing(true)
        let cached = CachedRoutingSignals(base, ttl: .seconds(10), staleLimit: .seconds(60), now: { clock.now })
        for _ in 0..<5 { _ = try? await cached.monthToDateSpend(tenantID: "t") }
        var calls = await cached.baseCalls
        XCTAssertEqual(calls, 1, "a down store is asked once per TTL, not once per request")
        clock.now += .seconds(11)
        await base.setFailing(false)
        let value = try await cached.monthToDateSpend(tenantID: "t")
        XCTAssertEqual(value, 100)
        calls = await cached.baseCalls
        XCTAssertEqual(calls, 2)
    }
}
