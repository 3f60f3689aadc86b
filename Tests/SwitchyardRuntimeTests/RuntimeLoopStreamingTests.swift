import SwitchyardCore
import SwitchyardJSON
import Synchronization
import XCTest

@testable import SwitchyardRuntime

private struct Plan: Codable, Sendable {
    var chunks: Int
    var failAfter: Int?
    var sleepMilliseconds: Int?
}

private struct StreamFailure: FunctionError {
    var errorType: String { "Probe.Failure" }
    var errorMessage: String { "broke mid-stream" }
}

/// Streams `chunks` chunks; what it saw is kept for the test.
private struct Streamer: StreamingFunctionHandler {
    final class Seen: Sendable {
        let cancelled = Mutex(false)
        let written = Mutex(0)
    }
    let seen = Seen()

    func handle(_ plan: Plan, stream: ResponseStream, context: InvocationContext) async throws {
        stream.contentType = "text/plain"
        do {
            for index in 0..<plan.chunks {
                if plan.failAfter == index { throw StreamFailure() }
                if index > 0, let ms = plan.sleepMilliseconds { try await Task.sleep(for: .milliseconds(ms)) }
                try await stream.write("c\(index)")
                seen.written.withLock { $0 += 1 }
            }
        } catch is CancellationError {
            seen.cancelled.withLock { $0 = true }
            XCTAssertTrue(Task.isCancelled, "a disconnect cancels the handler's task, not just one write")
            throw CancellationError()
        }
    }
}

final class RuntimeLoopStreamingTests: XCTestCase {
    private func chunk(_ text: String) -> ScriptedRuntimeAPIClient.Posted { .streamChunk(Array(text.utf8)) }

    func testChunksGoOutAsWrittenAndTheStreamEnds() async {
        let result = await LoopHarness.run(
            CodableStreamingHandler(Streamer()), [LoopHarness.invocation("s1", #"{"chunks":3}"#)])
        XCTAssertEqual(
            result.posted,
            [
                .streamStart(requestID: "s1", contentType: "text/plain"), chunk("c0"), chunk("c1"), chunk("c2"),
                .streamEnd(nil),
            ])
        XCTAssertEqual(result.records.map(\.outcome), [.success])
        XCTAssertEqual(result.records.first?.streamedBytes, 6)
    }

    func testAnErrorAfterTheFirstWriteEndsTheStreamWithItsTrailer() async {
        let result = await LoopHarness.run(
            CodableStreamingHandler(Streamer()), [LoopHarness.invocation("s2", #"{"chunks":3,"failAfter":1}"#)])
        XCTAssertEqual(
            result.posted,
            [
                .streamStart(requestID: "s2", contentType: "text/plain"), chunk("c0"),
                .streamEnd(ErrorReport(errorType: "Probe.Failure", errorMessage: "broke mid-stream")),
            ])
        XCTAssertEqual(result.records.first?.errorType, "Probe.Failure")
    }

    func testAnErrorBeforeAnyWriteIsAnOrdinaryFunctionError() async {
        let result = await LoopHarness.run(
            CodableStreamingHandler(Streamer()), [LoopHarness.invocation("s3", #"{"chunks":3,"failAfter":0}"#)])
        XCTAssertEqual(
            result.posted,
            [.error(requestID: "s3", ErrorReport(errorType: "Probe.Failure", errorMessage: "broke mid-stream"))])
    }

    func testADeadlinePassedWhileStreamingEndsTheStreamWithSandboxTimedout() async {
        let streamer = Streamer()
        let result = await LoopHarness.run(
            CodableStreamingHandler(streamer),
            [
                LoopHarness.invocation("s4", #"{"chunks":50,"sleepMilliseconds":40}"#, deadlineIn: 300),
                LoopHarness.invocation("after", #"{"chunks":1}"#),
            ])
        guard let end = result.posted.firstIndex(where: { if case .streamEnd = $0 { true } else { false } }) else {
            return XCTFail("\(result.posted)")
        }
        guard case .streamEnd(let error?) = result.posted[end] else { return XCTFail("\(result.posted[end])") }
        XCTAssertEqual(error.errorType, "Sandbox.Timedout")
        XCTAssertTrue(streamer.seen.cancelled.withLock { $0 }, "the handler was cancelled")
        XCTAssertFalse(result.posted.contains { if case .error = $0 { true } else { false } }, "answered once")
        XCTAssertEqual(
            Array(result.posted.suffix(3)).first, .streamStart(requestID: "after", contentType: "text/plain"))
        XCTAssertEqual(result.records.map(\.outcome), [.timeout, .success])
    }

    func testACallerThatLeavesCancelsTheHandlerAndTheLoopCarriesOn() async {
        let streamer = Streamer()
        let result = await LoopHarness.run(
            CodableStreamingHandler(streamer),
            [
                LoopHarness.invocation("gone", #"{"chunks":20,"sleepMilliseconds":5}"#),
                LoopHarness.invocation("next", #"{"chunks":1}"#),
            ], closeStreamAfter: 2)
        XCTAssertTrue(streamer.seen.cancelled.withLock { $0 })
        XCTAssertEqual(streamer.seen.written.withLock { $0 }, 3, "two before the caller left, one for the next")
        XCTAssertFalse(
            result.posted.contains(.streamEnd(nil)) && result.posted.filter { $0 == .streamEnd(nil) }.count > 1)
        XCTAssertEqual(result.records.map(\.outcome), [.disconnected, .success])
        // Nothing but the stream's first two chunks was sent for the abandoned invocation.
        XCTAssertEqual(
            Array(result.posted.prefix(3)),
            [.streamStart(requestID: "gone", contentType: "text/plain"), chunk("c0"), chunk("c1")])
    }

    func testAStreamingHandlerThatWritesNothingAnswersWithAnEmptyBody() async {
        let result = await LoopHarness.run(
            CodableStreamingHandler(Streamer()), [LoopHarness.invocation("quiet", #"{"chunks":0}"#)])
        XCTAssertEqual(result.posted, [.response(requestID: "quiet", body: [])])
    }

    func testInProcessCallersCollectTheChunks() async throws {
        let collected = Mutex<[UInt8]>([])
        let stream = ResponseStream.collecting { bytes in collected.withLock { $0 += bytes } }
        let context = InvocationContext(
            requestID: "inproc-1", deadlineMilliseconds: WallClock.nowMilliseconds() + 1000, invokedFunctionARN: "")
        try await Streamer().handle(Plan(chunks: 3), stream: stream, context: context)
        XCTAssertEqual(collected.withLock { $0 }, Array("c0c1c2".utf8))
        XCTAssertEqual(stream.bytesWritten, 6)
    }
}
