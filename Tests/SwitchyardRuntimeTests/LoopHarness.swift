import Logging
import SwitchyardCore
import Synchronization
import XCTest

@testable import SwitchyardRuntime

/// Runs handlers through `RuntimeLoop.serve` (watchdog, epochs and the per-invocation line
/// included) against a `ScriptedRuntimeAPIClient`, until the script runs out.
enum LoopHarness {
    struct Result {
        var posted: [ScriptedRuntimeAPIClient.Posted]
        var records: [InvocationRecord]
    }

    final class Records: Sendable {
        private let records = Mutex<[InvocationRecord]>([])
        func append(_ record: InvocationRecord) { records.withLock { $0.append(record) } }
        var all: [InvocationRecord] { records.withLock { $0 } }
    }

    static func invocation(_ id: String, _ event: String, deadlineIn ms: Int64 = 5_000) -> Invocation {
        Invocation(
            requestID: id, deadlineMilliseconds: WallClock.nowMilliseconds() + ms,
            invokedFunctionARN: "arn:aws:lambda:us-east-1:000000000000:function:greeter", traceID: "Root=1-abc",
            event: Array(event.utf8))
    }

    static func run<Handler: InvocationHandler>(
        _ handler: Handler, _ invocations: [Invocation], margin: Duration = .milliseconds(20),
        closeStreamAfter: Int? = nil, initStartedAt: ContinuousClock.Instant? = nil
    ) async -> Result {
        let journal = ScriptedRuntimeAPIClient.Journal()
        var client = ScriptedRuntimeAPIClient(invocations, closeStreamAfter: closeStreamAfter)
        client.journal = journal
        var loop = RuntimeLoop.Loop(
            client: client, handler: handler,
            logger: Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() }), deadlineMargin: margin,
            functionName: "greeter", compute: ComputeEnvironment(memoryMB: 256))
        loop.initStartedAt = initStartedAt
        let records = Records()
        loop.emitRecord = { records.append($0) }
        do {
            try await RuntimeLoop.serve(loop) { requestID, report in
                journal.append(.error(requestID: requestID, report))
            }
        } catch {
            XCTAssertEqual(error, .connectionClosed, "the loop ends only when the script runs out")
        }
        return Result(posted: journal.entries, records: records.all)
    }
}
