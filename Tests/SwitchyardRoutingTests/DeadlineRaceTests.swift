import Synchronization
import XCTest

@testable import SwitchyardRouting

/// `DeadlineRace`: work past the deadline loses to it and still finishes on its own; failures and
/// answers within it arrive as they are; a deadline already passed times out at once.
final class DeadlineRaceTests: XCTestCase {
    struct Down: Error {}

    func testWorkThatSuspendsPastTheDeadlineTimesOutAndFinishesOnItsOwn() async throws {
        let finished = Atomic<Bool>(false)
        let started = ContinuousClock.now
        let outcome = await DeadlineRace.run(until: .now + .milliseconds(20)) { () -> Int in
            try await Task.sleep(for: .milliseconds(200))
            finished.store(true, ordering: .relaxed)
            return 1
        }
        guard case .timedOut = outcome else { return XCTFail("\(outcome)") }
        XCTAssertLessThan(ContinuousClock.now - started, .milliseconds(180))
        XCTAssertFalse(finished.load(ordering: .relaxed))
        let deadline = ContinuousClock.now + .seconds(5)
        while !finished.load(ordering: .relaxed), ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(10))
        }
        XCTAssertTrue(finished.load(ordering: .relaxed), "the work was not left to finish")
    }

    func testFailuresAndAnswersAfterASuspensionArriveBeforeTheDeadline() async {
        let failed = await DeadlineRace.run(until: .now + .seconds(5)) { () -> Int in throw Down() }
        guard case .failed(let error) = failed, error is Down else { return XCTFail("\(failed)") }
        let suspended = await DeadlineRace.run(until: .now + .seconds(5)) { () -> Int in
            try await Task.sleep(for: .milliseconds(5))
            return 3
        }
        guard case .value(3) = suspended else { return XCTFail("\(suspended)") }
        let late = await DeadlineRace.run(until: .now - .milliseconds(1)) { () -> Int in 4 }
        guard case .timedOut = late else { return XCTFail("\(late)") }
    }
}
