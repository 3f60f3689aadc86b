import SwitchyardCore
import SwitchyardProviders
import XCTest

final class RetryPolicyTests: XCTestCase {
    let upstream = LLMError.upstream(provider: .openAI, status: 500, message: "x")

    func testExponentialBackoffWithEqualJitter() {
        let policy = RetryPolicy(maxAttemptsPerModel: 6, baseDelay: .milliseconds(100), maxDelay: .milliseconds(500))
        var rng = SplitMix64(seed: 1)
        for _ in 0..<200 {
            let d1 = policy.delay(afterFailedAttempts: 1, error: upstream, using: &rng)!
            XCTAssert(d1 >= .milliseconds(50) && d1 <= .milliseconds(100), "\(d1)")
            let d3 = policy.delay(afterFailedAttempts: 3, error: upstream, using: &rng)!
            XCTAssert(d3 >= .milliseconds(200) && d3 <= .milliseconds(400), "\(d3)")
            let d5 = policy.delay(afterFailedAttempts: 5, error: upstream, using: &rng)!
            XCTAssert(d5 >= .milliseconds(250) && d5 <= .milliseconds(500), "capped: \(d5)")
        }
    }

    func testRetryAfterIsAFloorAndTooLongMeansFallBack() {
        let policy = RetryPolicy(maxAttemptsPerModel: 3, baseDelay: .milliseconds(10), maxRetryAfter: .seconds(5))
        var rng = SplitMix64(seed: 2)
        let honoured = LLMError.rateLimited(provider: .openAI, message: "", retryAfter: .seconds(2))
        XCTAssertEqual(policy.delay(afterFailedAttempts: 1, error: honoured, using: &rng), .seconds(2))
        let tooLong = LLMError.rateLimited(provider: .openAI, message: "", retryAfter: .seconds(60))
        XCTAssertNil(policy.delay(afterFailedAttempts: 1, error: tooLong, using: &rng))
    }

    func testNoRetryForRequestErrorsOrAfterTheLastAttempt() {
        let policy = RetryPolicy(maxAttemptsPerModel: 2)
        var rng = SplitMix64(seed: 3)
        XCTAssertNil(policy.delay(afterFailedAttempts: 1, error: .invalidRequest("x"), using: &rng))
        XCTAssertNil(policy.delay(afterFailedAttempts: 1, error: .contextWindowExceeded("x"), using: &rng))
        XCTAssertNil(
            policy.delay(afterFailedAttempts: 1, error: .authentication(provider: .openAI, message: ""), using: &rng))
        XCTAssertNotNil(policy.delay(afterFailedAttempts: 1, error: upstream, using: &rng))
        XCTAssertNil(policy.delay(afterFailedAttempts: 2, error: upstream, using: &rng))
    }

    func testNeverPlansPastTheDeadline() {
        let policy = RetryPolicy(minimumAttemptTime: .milliseconds(100))
        let now = ContinuousClock.now
        XCTAssertTrue(policy.fits(.milliseconds(100), before: now.advanced(by: .milliseconds(250)), now: now))
        XCTAssertFalse(policy.fits(.milliseconds(200), before: now.advanced(by: .milliseconds(250)), now: now))
    }

    func testCooldownAfterRepeatedFailuresAndReset() {
        let tracker = CooldownTracker(failureThreshold: 2, cooldown: .seconds(30))
        let now = ContinuousClock.now
        tracker.recordFailure(endpoint: "a", model: "m", error: upstream, now: now)
        XCTAssertFalse(tracker.isCoolingDown(endpoint: "a", model: "m", now: now))
        tracker.recordFailure(endpoint: "a", model: "m", error: upstream, now: now)
        XCTAssertTrue(tracker.isCoolingDown(endpoint: "a", model: "m", now: now))
        XCTAssertFalse(tracker.isCoolingDown(endpoint: "a", model: "m", now: now.advanced(by: .seconds(31))))
        XCTAssertFalse(tracker.isCoolingDown(endpoint: "b", model: "m", now: now))
        // Request errors say nothing about the provider's health.
        tracker.recordFailure(endpoint: "c", model: "m", error: .invalidRequest("x"), now: now)
        tracker.recordFailure(endpoint: "c", model: "m", error: .invalidRequest("x"), now: now)
        XCTAssertFalse(tracker.isCoolingDown(endpoint: "c", model: "m", now: now))
        // A success clears the count.
        tracker.recordFailure(endpoint: "d", model: "m", error: upstream, now: now)
        tracker.recordSuccess(endpoint: "d", model: "m")
        tracker.recordFailure(endpoint: "d", model: "m", error: upstream, now: now)
        XCTAssertFalse(tracker.isCoolingDown(endpoint: "d", model: "m", now: now))
        // retry-after cools that model at once, for that long; the endpoint's other models stay usable.
        tracker.recordFailure(
            endpoint: "e", model: "m", error: .rateLimited(provider: .openAI, message: "", retryAfter: .seconds(5)),
            now: now)
        XCTAssertTrue(tracker.isCoolingDown(endpoint: "e", model: "m", now: now.advanced(by: .seconds(4))))
        XCTAssertFalse(tracker.isCoolingDown(endpoint: "e", model: "other", now: now.advanced(by: .seconds(4))))
        XCTAssertFalse(tracker.isCoolingDown(endpoint: "e", model: "m", now: now.advanced(by: .seconds(6))))
    }
}
