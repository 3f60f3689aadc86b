import Foundation
import SwitchyardContract
import SwitchyardCore
import SwitchyardJSON
import SwitchyardRuntime
import SwitchyardUsage
import SwitchyardUsageLoggerFunction
import XCTest

/// The usage-logger's three event shapes and its SQS partial batch answer.
final class UsageLoggerEventTests: XCTestCase {
    func sample(_ name: String) throws -> JSON {
        let bytes = try XCTUnwrap(
            FileManager.default.contents(atPath: Fixtures.repositoryRoot + "/events/usage-logger/" + name))
        return try JSON.parse(Array(bytes))
    }

    func context() -> InvocationContext {
        InvocationContext(
            requestID: "inv-1", deadlineMilliseconds: WallClock.nowMilliseconds() + 10_000,
            invokedFunctionARN: "arn:aws:lambda:us-east-1:0:function:usage-logger")
    }

    func testEventShapesAreRecognised() throws {
        guard case .sqs(let messages) = try UsageLoggerEvent.classify(try sample("sqs-event.json")) else {
            return XCTFail("an SQS event")
        }
        XCTAssertEqual(messages.map(\.messageID), ["0b7e6c5a-sample-1", "0b7e6c5a-sample-2"])
        XCTAssertEqual(messages[0].sentTimestamp, 1_795_003_211_000)
        guard case .maintenance(let repair) = try UsageLoggerEvent.classify(try sample("repair.json")) else {
            return XCTFail("a repair request")
        }
        XCTAssertEqual(repair.graceMilliseconds, 60_000)
        let scheduled: JSON = ["source": "aws.events", "detail-type": "Scheduled Event", "detail": [:]]
        guard case .maintenance(let fromRule) = try UsageLoggerEvent.classify(scheduled) else {
            return XCTFail("EventBridge's scheduled event")
        }
        XCTAssertNil(fromRule.graceMilliseconds, "the configured grace")
        guard case .batch = try UsageLoggerEvent.classify(try sample("catch-failure.json")) else {
            return XCTFail("a bare batch")
        }
        XCTAssertThrowsError(try UsageLoggerEvent.classify(["Records": []]))
        XCTAssertThrowsError(try UsageLoggerEvent.classify(["Records": [["body": "{}"]]]))
        XCTAssertThrowsError(try UsageLoggerEvent.classify(["action": "repair", "graceSeconds": -1]))
    }

    func testSQSBatchNamesOnlyTheMessagesToDeliverAgain() async throws {
        let sink = MemorySink()
        let handler = UsageLoggerHandler(ingestor: UsageIngestor(calculator: Fixtures.calculator, sink: sink))
        var bad = Fixtures.llm("q-bad")
        bad.latency.totalMs = -4
        func record(_ id: String, _ batch: UsageBatch) throws -> SQSMessage {
            SQSMessage(messageID: id, body: String(decoding: try JSON.encode(batch), as: UTF8.self), sentTimestamp: 1)
        }
        let event = UsageLoggerEvent.sqs([
            try record("m-ok-1", UsageBatch(records: [Fixtures.llm("q-1")])),
            try record("m-bad", UsageBatch(records: [bad])),
            SQSMessage(messageID: "m-not-json", body: "{records", sentTimestamp: nil),
            try record("m-ok-2", UsageBatch(records: [Fixtures.llm("q-2")])),
        ])
        let answer = try JSON.encodeToJSON(try await handler.handle(event, context: context()))
        XCTAssertEqual(
            answer, ["batchItemFailures": [["itemIdentifier": "m-not-json"], ["itemIdentifier": "m-bad"]]])
        XCTAssertEqual(Set(sink.stored.withLock { $0.values.map(\.requestID) }), ["q-1", "q-2"])
        sink.failing.withLock { $0 = true }
        let down = try JSON.encodeToJSON(
            try await handler.handle(
                .sqs([try record("m-ok-3", UsageBatch(records: [Fixtures.llm("q-3")]))]), context: context()))
        XCTAssertEqual(down, ["batchItemFailures": [["itemIdentifier": "m-ok-3"]]], "a store outage: delivered again")
    }

    func testABareBatchThrowsItsTypedError() async throws {
        let handler = UsageLoggerHandler(ingestor: UsageIngestor(calculator: Fixtures.calculator, sink: MemorySink()))
        do {
            _ = try await handler.handle(.batch(try sample("negative-tokens.json")), context: context())
            XCTFail("expected Usage.NegativeCount")
        } catch let error as UsageError {
            XCTAssertEqual(error.errorType, "Usage.NegativeCount")
        }
        let out = try JSON.encodeToJSON(
            try await handler.handle(.batch(try sample("catch-failure.json")), context: context()))
        XCTAssertEqual(out["summary"]?["inserted"], 3)
        XCTAssertEqual(out["costs"]?.arrayValue?.map { $0["step"]?.stringValue }, ["router", "llm", "orchestration"])
        // Router: arm64 256 MB × 3 ms = 0.00075 GB-s × 13,333,400 = 10,000.05 → 10,000, + $0.20/1M = 200,000.
        XCTAssertEqual(out["costs"]?[0]?["costPicoUSD"], 210_000)
        XCTAssertEqual(out["costs"]?[1]?["costPicoUSD"], 0, "a Catch failure costs nothing")
        XCTAssertEqual(out["costs"]?[2]?["costPicoUSD"], 63_825_062)
    }
}
