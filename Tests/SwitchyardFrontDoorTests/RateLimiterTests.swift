import Synchronization
import XCTest

@testable import SwitchyardFrontDoor

final class RateLimiterTests: XCTestCase {
    final class FakeClock: Sendable {
        let ns = Atomic<UInt64>(1_000_000_000)
        func advance(seconds: Double) { ns.add(UInt64(seconds * 1e9), ordering: .relaxed) }
    }

    func retryAfter(_ body: () throws -> Void) -> Int? {
        do {
            try body()
            return nil
        } catch FrontDoorError.rateLimited(_, let seconds) {
            return seconds
        } catch {
            return -1
        }
    }

    func testRequestsPerMinute() {
        let clock = FakeClock()
        let limiter = RateLimiter { clock.ns.load(ordering: .relaxed) }
        let limits = KeyLimits(requestsPerMinute: 2, tokensPerMinute: 1_000_000)
        XCTAssertNil(retryAfter { try limiter.admit(key: "k", limits: limits, tokens: 1) })
        XCTAssertNil(retryAfter { try limiter.admit(key: "k", limits: limits, tokens: 1) })
        // Two per minute refill one every 30 s.
        XCTAssertEqual(retryAfter { try limiter.admit(key: "k", limits: limits, tokens: 1) }, 30)
        // Another key has its own bucket.
        XCTAssertNil(retryAfter { try limiter.admit(key: "other", limits: limits, tokens: 1) })
        clock.advance(seconds: 15)
        XCTAssertEqual(retryAfter { try limiter.admit(key: "k", limits: limits, tokens: 1) }, 15)
        clock.advance(seconds: 15)
        XCTAssertNil(retryAfter { try limiter.admit(key: "k", limits: limits, tokens: 1) })
    }

    func testTokensPerMinuteAndSettlement() {
        let clock = FakeClock()
        let limiter = RateLimiter { clock.ns.load(ordering: .relaxed) }
        let limits = KeyLimits(requestsPerMinute: 1000, tokensPerMinute: 600)
        XCTAssertNil(retryAfter { try limiter.admit(key: "k", limits: limits, tokens: 500) })
        // 100 left; 200 more need 100 tokens of refill at 10 per second.
        XCTAssertEqual(retryAfter { try limiter.admit(key: "k", limits: limits, tokens: 200) }, 10)
        // The request used only 100 of its 500: 400 come back.
        limiter.settle(key: "k", estimated: 500, used: 100)
        XCTAssertNil(retryAfter { try limiter.admit(key: "k", limits: limits, tokens: 200) })
        // An overrun is paid back before the next request: 300 left, then 900 over.
        limiter.settle(key: "k", estimated: 200, used: 1400)
        XCTAssertEqual(retryAfter { try limiter.admit(key: "k", limits: limits, tokens: 1) }, 91)
    }
}
