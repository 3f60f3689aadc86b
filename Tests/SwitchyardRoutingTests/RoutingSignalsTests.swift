import SwitchyardContract
import SwitchyardRouting
import XCTest

final class RoutingSignalsTests: XCTestCase {
    final class ManualClock: @unchecked Sendable {
        var now = ContinuousClock.now
    }

    actor FlakySignals: RoutingSignals {
        var failing = false
        var spend = PicoUSD(100)
        var delay: Duration = .zero
        var calls = 0
        func setFailing(_ value: Bool) { failing = value }
        func setSpend(_ value: PicoUSD) { spend = value }
        func setDelay(_ value: Duration) { delay = value }
        struct Down: Error {}
        func monthToDateSpend(tenantID: String) async throws -> SpendSignal? {
            calls += 1
            if delay > .zero { try await Task.sleep(for: delay) }
            if failing { throw Down() }
            return SpendSignal(amount: spend, stalenessMs: 42)
        }
        func modelHealth() async throws -> [ModelID: ModelHealth] {
            if failing { throw Down() }
            return ["gpt-4o": ModelHealth(p50Ms: 1, p95Ms: 2, errorRate: 0, samples: 50)]
        }
    }

    func testInMemoryRecordsSpendWithCheckedSums() async throws {
        let signals = InMemoryRoutingSignals()
        try await signals.record(tenantID: "a", cost: PicoUSD(10))
        try await signals.record(tenantID: "a", cost: PicoUSD(5))
        let spend = try await signals.monthToDateSpend(tenantID: "a")
        XCTAssertEqual(spend?.amount, PicoUSD(15))
        let none = try await signals.monthToDateSpend(tenantID: "b")
        XCTAssertNil(none)
        do {
            try await signals.record(tenantID: "a", cost: PicoUSD(Int64.max))
            XCTFail("expected Billing.AmountOutOfRange")
        } catch {
            XCTAssertEqual(error.errorType, "Billing.AmountOutOfRange")
        }
    }

    func testCacheServesWithinTTLAndRefreshesAfter() async throws {
        let clock = ManualClock()
        let base = FlakySignals()
        let cached = CachedRoutingSignals(base, ttl: .seconds(10), staleLimit: .seconds(60), now: { clock.now })
        let first = try await cached.monthToDateSpend(tenantID: "t")
        XCTAssertEqual(first?.amount, PicoUSD(100))
        XCTAssertEqual(first?.stalenessMs, 42)
        await base.setSpend(PicoUSD(200))
        clock.now += .seconds(5)
        let cachedValue = try await cached.monthToDateSpend(tenantID: "t")
        XCTAssertEqual(cachedValue?.amount, PicoUSD(100), "within TTL")
        clock.now += .seconds(6)
        let refreshed = try await cached.monthToDateSpend(tenantID: "t")
        XCTAssertEqual(refreshed?.amount, PicoUSD(200), "after TTL")
        let calls = await cached.baseCalls
        XCTAssertEqual(calls, 2)
    }

    /// A warm cache answers `snapshot` from memory, with the figures the async reads would give
    /// (spend aged by its time in the cache); a cold or expired one fetches.
    func testAWarmCacheAnswersWithoutFetchingAndAnExpiredOneFetches() async throws {
        let clock = ManualClock()
        let base = FlakySignals()
        let cached = CachedRoutingSignals(base, ttl: .seconds(10), staleLimit: .seconds(60), now: { clock.now })
        XCTAssertNil(cached.fresh(tenantID: "t"), "cold")
        let fetched = await cached.snapshot(tenantID: "t", deadline: .now + .seconds(5))
        XCTAssertEqual(fetched.monthToDateSpend, PicoUSD(100))
        XCTAssertEqual(fetched.health.keys.map(\.rawValue), ["gpt-4o"])
        XCTAssertNil(cached.fresh(tenantID: "other"), "another tenant's spend is not cached")
        clock.now += .seconds(3)
        let fresh = try XCTUnwrap(cached.fresh(tenantID: "t"))
        XCTAssertEqual(fresh.spend, SpendSignal(amount: PicoUSD(100), stalenessMs: 42 + 3_000))
        let fromMemory = await cached.snapshot(tenantID: "t", deadline: .now + .seconds(5))
        let throughActor = try await cached.monthToDateSpend(tenantID: "t")
        XCTAssertEqual(fromMemory.monthToDateSpend, throughActor?.amount)
        XCTAssertEqual(fromMemory.spendStalenessMs, throughActor?.stalenessMs)
        XCTAssertEqual(fromMemory.health, fetched.health)
        var calls = await cached.baseCalls
        XCTAssertEqual(calls, 2, "one spend and one health fetch")
        clock.now += .seconds(8)
        XCTAssertNil(cached.fresh(tenantID: "t"), "expired")
        await base.setFailing(true)
        let degraded = await cached.snapshot(tenantID: "t", deadline: .now + .seconds(5))
        XCTAssertEqual(degraded.monthToDateSpend, PicoUSD(100), "the last good value within the stale limit")
        XCTAssertNil(cached.fresh(tenantID: "t"), "a failed refresh is not fresh")
        calls = await cached.baseCalls
        XCTAssertEqual(calls, 4)
        await cached.invalidate()
        XCTAssertNil(cached.fresh(tenantID: "t"))
    }

    func testConcurrentCallersShareOneFetch() async throws {
        let base = FlakySignals()
        await base.setDelay(.milliseconds(200))
        let cached = CachedRoutingSignals(base, ttl: .seconds(10))
        async let a = cached.monthToDateSpend(tenantID: "t")
        async let b = cached.monthToDateSpend(tenantID: "t")
        async let c = cached.monthToDateSpend(tenantID: "t")
        let values = try await [a, b, c]
        XCTAssertEqual(values.map { $0?.amount }, [PicoUSD(100), PicoUSD(100), PicoUSD(100)])
        let calls = await base.calls
        XCTAssertEqual(calls, 1)
    }

    func testAFetchThatOutlivesItsDeadlineStillFillsTheCache() async throws {
        let base = FlakySignals()
        await base.setDelay(.milliseconds(300))
        let cached = CachedRoutingSignals(base, ttl: .seconds(10))
        let late = await cached.snapshot(tenantID: "t", deadline: .now + .milliseconds(50))
        XCTAssertNil(late.monthToDateSpend)
        XCTAssertTrue(late.note?.contains("spend unavailable (no answer within") ?? false, late.note ?? "")
        try await Task.sleep(for: .milliseconds(400))
        let next = await cached.snapshot(tenantID: "t", deadline: .now + .milliseconds(50))
        XCTAssertEqual(next.monthToDateSpend, PicoUSD(100), "the earlier fetch finished and was kept")
        // 42 ms when fetched, older by the ~150 ms it then spent in the cache.
        let staleness = try XCTUnwrap(next.spendStalenessMs)
        XCTAssertTrue((42 + 100...42 + 2_000).contains(staleness), "\(staleness)")
        let calls = await base.calls
        XCTAssertEqual(calls, 1)
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
        XCTAssertEqual(stale?.amount, PicoUSD(100))
        let health = try await cached.modelHealth()
        XCTAssertEqual(health["gpt-4o"]?.samples, 50)
        clock.now += .seconds(60)
        do {
            _ = try await cached.monthToDateSpend(tenantID: "t")
            XCTFail("stale limit passed; expected the source's error")
        } catch {}
        let snapshot = await cached.snapshot(tenantID: "t", deadline: .now + .seconds(1))
        XCTAssertNil(snapshot.monthToDateSpend)
        XCTAssertTrue(snapshot.note?.contains("spend unavailable") ?? false)
        XCTAssertTrue(snapshot.note?.contains("model health unavailable") ?? false)
    }

    func testFailureIsCachedForOneTTL() async throws {
        let clock = ManualClock()
        let base = FlakySignals()
        await base.setFailing(true)
        let cached = CachedRoutingSignals(base, ttl: .seconds(10), staleLimit: .seconds(60), now: { clock.now })
        for _ in 0..<5 { _ = try? await cached.monthToDateSpend(tenantID: "t") }
        for tenant in ["u", "v", "w"] { _ = try? await cached.monthToDateSpend(tenantID: tenant) }
        var calls = await cached.baseCalls
        XCTAssertEqual(calls, 1, "a down store is asked once per TTL, not once per request or tenant")
        clock.now += .seconds(11)
        await base.setFailing(false)
        let value = try await cached.monthToDateSpend(tenantID: "t")
        XCTAssertEqual(value?.amount, PicoUSD(100))
        calls = await cached.baseCalls
        XCTAssertEqual(calls, 2)
    }

    /// Figures no store should produce are dropped before they reach an estimate.
    func testOutOfRangeFiguresAreDropped() async {
        actor Odd: RoutingSignals {
            func monthToDateSpend(tenantID: String) async throws -> SpendSignal? { SpendSignal(amount: PicoUSD(-5)) }
            func modelHealth() async throws -> [ModelID: ModelHealth] {
                [
                    "a": ModelHealth(p50Ms: -1, p95Ms: 5, errorRate: 0, samples: 9),
                    "b": ModelHealth(p50Ms: 5, p95Ms: 5, errorRate: .nan, samples: 9),
                    "c": ModelHealth(p50Ms: Int.max, p95Ms: Int.max, errorRate: 0.5, samples: 9),
                ]
            }
        }
        let snapshot = await Odd().snapshot(tenantID: "t", deadline: .now + .seconds(1))
        XCTAssertNil(snapshot.monthToDateSpend)
        XCTAssertTrue(snapshot.note?.contains("negative") ?? false)
        XCTAssertEqual(Set(snapshot.health.keys), ["c"])
        XCTAssertEqual(snapshot.health["c"]?.p50Ms, 3_600_000, "clamped to an hour")
    }
}
