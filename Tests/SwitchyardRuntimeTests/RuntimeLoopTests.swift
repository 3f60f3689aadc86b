import Logging
import SwitchyardCore
import SwitchyardJSON
import XCTest

@testable import SwitchyardRuntime

private struct Greeting: Codable, Sendable { var name: String }
private struct Reply: Codable, Sendable { var text: String }

private struct QuotaExceeded: FunctionError {
    var errorType: String { "Router.BudgetExceeded" }
    var errorMessage: String { "tenant acme is over its monthly budget" }
}

private struct GreetingHandler: FunctionHandler {
    func handle(_ event: Greeting, context: InvocationContext) async throws -> Reply {
        switch event.name {
        case "broke": throw QuotaExceeded()
        case "oops": throw CancellationError()
        case "slow":
            try await Task.sleep(for: .seconds(30))
            return Reply(text: "late")
        case "huge": return Reply(text: String(repeating: "x", count: RuntimeAPI.maximumResponseBytes))
        default: return Reply(text: "hello \(event.name) (\(context.requestID))")
        }
    }
}

final class RuntimeLoopTests: XCTestCase {
    private func invocation(_ id: String, _ event: String, deadlineIn ms: Int64 = 5_000) -> Invocation {
        LoopHarness.invocation(id, event, deadlineIn: ms)
    }

    /// Serves the invocations through `RuntimeLoop.serve` (watchdog and epochs included) until
    /// the scripted client runs dry; returns what the loop and the watchdog posted, in order.
    private func run(_ invocations: [Invocation]) async -> [ScriptedRuntimeAPIClient.Posted] {
        await LoopHarness.run(CodableByteHandler(GreetingHandler()), invocations).posted
    }

    func testSuccessPostsTheEncodedOutput() async throws {
        let posted = await run([invocation("r1", #"{"name":"ada"}"#)])
        XCTAssertEqual(posted, [.response(requestID: "r1", body: Array(#"{"text":"hello ada (r1)"}"#.utf8))])
    }

    func testFunctionErrorKeepsItsStableType() async {
        let posted = await run([invocation("r2", #"{"name":"broke"}"#)])
        XCTAssertEqual(
            posted,
            [
                .error(
                    requestID: "r2",
                    ErrorReport(
                        errorType: "Router.BudgetExceeded", errorMessage: "tenant acme is over its monthly budget"))
            ])
    }

    func testOtherErrorsAreUnhandledNotTheSwiftTypeName() async {
        let posted = await run([invocation("r3", #"{"name":"oops"}"#)])
        guard case .error(_, let report) = posted.first else { return XCTFail("\(posted)") }
        XCTAssertEqual(report.errorType, "Switchyard.Unhandled")
    }

    func testMalformedEventsGetATypedErrorAndTheLoopContinues() async {
        let posted = await run([
            invocation("a", #"{"name": 5}"#), invocation("b", "not json"), invocation("c", #"{"name":"bob"}"#),
        ])
        XCTAssertEqual(posted.count, 3)
        XCTAssertEqual(
            posted[0],
            .error(
                requestID: "a",
                ErrorReport(
                    errorType: "Runtime.InvalidEvent",
                    errorMessage: "the event is not valid for this function: name: expected string, found number")))
        guard case .error("b", let report) = posted[1] else { return XCTFail("\(posted[1])") }
        XCTAssertEqual(report.errorType, "Runtime.InvalidEvent")
        XCTAssertTrue(report.errorMessage.contains("invalid JSON at byte 1"), report.errorMessage)
        XCTAssertEqual(posted[2], .response(requestID: "c", body: Array(#"{"text":"hello bob (c)"}"#.utf8)))
    }

    func testOversizedResponseIsATypedError() async {
        let posted = await run([invocation("big", #"{"name":"huge"}"#)])
        guard case .error("big", let report) = posted.first else { return XCTFail("\(posted)") }
        XCTAssertEqual(report.errorType, "Function.ResponseSizeTooLarge")
        XCTAssertTrue(report.errorMessage.contains("6291456"), report.errorMessage)
    }

    func testOverrunningTheDeadlineIsReportedBeforeIt() async {
        let start = ContinuousClock.now
        let posted = await run([invocation("slow", #"{"name":"slow"}"#, deadlineIn: 300)])
        let elapsed = ContinuousClock.now - start
        guard case .error("slow", let report) = posted.first else { return XCTFail("\(posted)") }
        XCTAssertEqual(report.errorType, "Sandbox.Timedout")
        XCTAssertLessThan(elapsed, .seconds(2), "the 30 s handler was cancelled")
        XCTAssertEqual(posted.count, 1, "answered once, by the watchdog")
    }

    func testTheLoopCarriesOnAfterATimeout() async {
        let posted = await run([
            invocation("slow", #"{"name":"slow"}"#, deadlineIn: 200), invocation("next", #"{"name":"eve"}"#),
        ])
        XCTAssertEqual(posted.count, 2)
        XCTAssertEqual(posted.last, .response(requestID: "next", body: Array(#"{"text":"hello eve (next)"}"#.utf8)))
    }

    func testAnAlreadyExpiredInvocationIsNotRun() async {
        let posted = await run([invocation("late", #"{"name":"ada"}"#, deadlineIn: -5)])
        guard case .error("late", let report) = posted.first else { return XCTFail("\(posted)") }
        XCTAssertEqual(report.errorType, "Sandbox.Timedout")
    }

    func testErrorReportBodyIsLambdasShape() throws {
        let body = ErrorReport(errorType: "A.B", errorMessage: "quote \" here").body
        XCTAssertEqual(
            String(decoding: body, as: UTF8.self),
            #"{"errorMessage":"quote \" here","errorType":"A.B","stackTrace":[]}"#)
    }
}
