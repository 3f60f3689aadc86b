import SwitchyardCore
import SwitchyardJSON
import Synchronization
import XCTest

@testable import SwitchyardRuntime

/// Records the context each invocation saw; `{"sleep": true}` sleeps until cancelled.
private struct ContextRecorder: ByteHandler {
    final class Seen: Sendable {
        let contexts = Mutex<[InvocationContext]>([])
    }
    let seen = Seen()

    func handle(_ event: [UInt8], context: InvocationContext) async throws -> [UInt8] {
        seen.contexts.withLock { $0.append(context) }
        if event == Array(#"{"sleep":true}"#.utf8) { try await Task.sleep(for: .seconds(30)) }
        if event == Array(#"{"fail":true}"#.utf8) { throw RuntimeError.invalidEvent("on purpose") }
        return Array("{}".utf8)
    }
}

final class RuntimeLoopContextTests: XCTestCase {
    func testTheHandlerDeadlineIsThePlatformDeadlineLessTheMargin() async throws {
        let recorder = ContextRecorder()
        let invocation = LoopHarness.invocation("r1", "{}", deadlineIn: 3_000)
        _ = await LoopHarness.run(recorder, [invocation], margin: .milliseconds(200))
        let context = try XCTUnwrap(recorder.seen.contexts.withLock { $0.first })
        XCTAssertEqual(context.platformDeadlineMilliseconds, invocation.deadlineMilliseconds)
        XCTAssertEqual(context.deadlineMilliseconds, invocation.deadlineMilliseconds - 200)
        // The monotonic deadline agrees with the wall-clock one (within scheduling noise).
        let remaining = context.remainingTime.milliseconds
        XCTAssertLessThanOrEqual(remaining, 2_800)
        XCTAssertGreaterThan(remaining, 2_600)
        XCTAssertEqual(context.compute, ComputeEnvironment(memoryMB: 256))
        XCTAssertGreaterThanOrEqual(context.elapsed, .zero)
    }

    func testTheRuntimeReportsTheTimeoutAQuarterOfTheMarginBeforeThePlatformDeadline() async throws {
        let recorder = ContextRecorder()
        let start = ContinuousClock.now
        let result = await LoopHarness.run(
            recorder, [LoopHarness.invocation("slow", #"{"sleep":true}"#, deadlineIn: 600)], margin: .milliseconds(400))
        let elapsed = ContinuousClock.now - start
        guard case .error("slow", let report) = result.posted.first else { return XCTFail("\(result.posted)") }
        XCTAssertEqual(report.errorType, "Sandbox.Timedout")
        // Fires at 600 - 400/4 = 500 ms after receipt; the handler's own deadline was at 200 ms.
        XCTAssertGreaterThanOrEqual(elapsed, .milliseconds(480))
        XCTAssertLessThan(elapsed, .milliseconds(590))
        XCTAssertEqual(result.records.map(\.outcome), [.timeout])
        XCTAssertEqual(result.records.first?.errorType, "Sandbox.Timedout")
    }

    func testEveryInvocationGetsOneRecordAndOnlyTheFirstCarriesInit() async throws {
        let started = ContinuousClock.now - .milliseconds(7)
        let result = await LoopHarness.run(
            ContextRecorder(),
            [
                LoopHarness.invocation("a", "{}"), LoopHarness.invocation("b", #"{"fail":true}"#),
                LoopHarness.invocation("c", #"{"sleep":true}"#, deadlineIn: 150), LoopHarness.invocation("d", "{}"),
            ], initStartedAt: started)
        XCTAssertEqual(result.records.map(\.requestID), ["a", "b", "c", "d"])
        XCTAssertEqual(result.records.map(\.outcome), [.success, .error, .timeout, .success])
        XCTAssertEqual(result.records.map(\.errorType), [nil, "Runtime.InvalidEvent", "Sandbox.Timedout", nil])
        let initDuration = try XCTUnwrap(result.records[0].initDuration)
        XCTAssertGreaterThanOrEqual(initDuration, .milliseconds(7))
        XCTAssertTrue(result.records.dropFirst().allSatisfy { $0.initDuration == nil })
        XCTAssertTrue(result.records.allSatisfy { $0.functionName == "greeter" && $0.memorySizeMB == 256 })
        XCTAssertGreaterThan(result.records[2].duration, .milliseconds(100))
    }
}
