import Foundation
import SwitchyardBilling
import SwitchyardContract
import SwitchyardJSON
import XCTest

@testable import SwitchyardUsage

/// The records the logger builds itself (Catch failures, orchestration), their keys, and the
/// parsing of Step Functions' timestamps, against values worked out by hand.
final class UsageBatchRecordsTests: XCTestCase {
    let context = UsageContext(
        requestID: "req-9", executionID: "arn:aws:states:us-east-1:1:express:sm:req-9:abc", tenantID: "acme",
        user: "u", tier: "pro", route: "llm best", category: .chat, bundleVersion: "b1")

    func testRFC3339AgainstKnownInstants() {
        XCTAssertEqual(RFC3339.milliseconds("2026-11-18T12:00:00Z"), Fixtures.noon)
        XCTAssertEqual(RFC3339.milliseconds("2026-11-18T12:00:00.123Z"), Fixtures.noon + 123)
        XCTAssertEqual(RFC3339.milliseconds("2026-11-18T12:00:00.1Z"), Fixtures.noon + 100)
        XCTAssertEqual(RFC3339.milliseconds("2026-11-18T12:00:00.123456789Z"), Fixtures.noon + 123)
        XCTAssertEqual(RFC3339.milliseconds("2026-11-18T13:30:00+01:30"), Fixtures.noon)
        XCTAssertEqual(RFC3339.milliseconds("1970-01-01T00:00:00Z"), 0)
        XCTAssertEqual(RFC3339.milliseconds("2024-02-29T00:00:00Z"), 1_709_164_800_000)
        for bad in [
            "2026-02-29T00:00:00Z", "2026-11-25T24:00:00Z", "2026-11-25 12:00:00Z", "2026-11-25T12:00:00",
            "2026-11-25T12:00:00.Z", "2026-11-25T12:00:00Zjunk", "yesterday", "", "1969-12-31T23:59:59Z",
            "2026-13-01T00:00:00Z", String(repeating: "9", count: 100),
        ] {
            XCTAssertNil(RFC3339.milliseconds(bad), bad)
        }
    }

    func testCatchFailureBecomesOneFailedRecordWithATrimmedCause() throws {
        let cause = "line one\nline two\u{7}" + String(repeating: "é", count: 2000)
        let batch = UsageBatch(
            failures: [StepFailure(step: "llm", error: "Sandbox.Timedout", cause: cause)], context: context)
        let records = try batch.usageRecords(receivedAt: Fixtures.noon)
        XCTAssertEqual(records.count, 1)
        let record = records[0]
        XCTAssertEqual(record.status, .failed)
        XCTAssertEqual(record.step, "llm")
        XCTAssertEqual(record.tenant, "acme")
        XCTAssertEqual(record.timestamp, Fixtures.noon, "no execution end time: the message's time")
        XCTAssertEqual(record.errorType, "Sandbox.Timedout")
        XCTAssertEqual(record.invocationID, "catch:" + context.executionID!)
        let kept = try XCTUnwrap(record.errorCause)
        XCTAssertLessThanOrEqual(kept.utf8.count, 1024)
        XCTAssertTrue(kept.hasPrefix("line one line two "), kept)
        XCTAssertEqual(kept.utf8.count, 18 + 1006, "whole two-byte characters up to 1024 bytes")
        XCTAssertNil(record.cost)
        try record.validate(index: 0)
        XCTAssertThrowsError(
            try UsageBatch(failures: [StepFailure(step: "llm", error: "X")]).usageRecords(receivedAt: 1))
    }

    func testOrchestrationRecordIsPricedAsExpressFromStartAndEnd() throws {
        let batch = UsageBatch(
            context: context,
            execution: ExecutionFacts(
                executionID: context.executionID!, startTime: "2026-11-18T12:00:10.000Z",
                endTime: "2026-11-18T12:01:10.250Z"))
        let records = try batch.usageRecords(receivedAt: 0)
        XCTAssertEqual(records.count, 1)
        let record = try records[0].priced(by: Fixtures.calculator)
        XCTAssertEqual(record.step, "orchestration")
        XCTAssertEqual(record.timestamp, Fixtures.noon + 10_000)
        XCTAssertEqual(record.orchestration, .init(memoryMB: 64, durationMs: 60_250, requests: 1))
        // Express: 64 MB = 0.0625 GB; 60,250 ms billed as 60,300 ms; 0.0625 × 60.3 = 3.76875 GB-s
        // × $0.00001667 = 62,825,062.5 pico → 62,825,062 (half to even) + $1/1M requests = 1,000,000.
        XCTAssertEqual(record.cost?.orchestrationPicoUSD, 63_825_062)
        XCTAssertEqual(record.cost?.totalPicoUSD, 63_825_062)
        XCTAssertEqual(record.cost?.unpriced, [])
        // The same batch builds the same record: a re-delivery is a duplicate, not a change.
        XCTAssertEqual(try batch.usageRecords(receivedAt: 99), records)
    }

    func testExecutionTimesAreChecked() {
        func records(_ start: String, _ end: String, memory: Int64? = nil) throws -> [UsageRecord] {
            try UsageBatch(
                context: context,
                execution: ExecutionFacts(executionID: "e", startTime: start, endTime: end, memoryMB: memory)
            ).usageRecords(receivedAt: 0)
        }
        XCTAssertThrowsError(try records("2026-11-25T12:00:10Z", "2026-11-25T12:00:09Z"), "ends before it starts")
        XCTAssertThrowsError(try records("2026-11-25T12:00:10Z", "not a time"))
        XCTAssertThrowsError(try records("2026-11-25T12:00:10Z", "2026-11-25T12:00:11Z", memory: 0))
        XCTAssertThrowsError(
            try UsageBatch(execution: .init(executionID: "e", startTime: "", endTime: "")).usageRecords(receivedAt: 0))
    }

    func testLongExecutionIDsGiveShortStableKeys() {
        let long = "arn:aws:states:us-east-1:1:express:" + String(repeating: "x", count: 400)
        let key = UsageBatch.invocationKey(
            "execution", ExecutionFacts(executionID: long, startTime: "", endTime: ""), context)
        XCTAssertTrue(key.hasPrefix("execution:"))
        XCTAssertLessThanOrEqual(key.utf8.count, 256)
        XCTAssertEqual(
            key,
            UsageBatch.invocationKey(
                "execution", ExecutionFacts(executionID: long, startTime: "", endTime: ""), context))
    }

    func testMapBatchesAreFlattenedInOrder() throws {
        let a = Fixtures.llm("r-a"), b = Fixtures.llm("r-b"), c = Fixtures.llm("r-c")
        let json = try JSON.encodeToJSON(UsageBatch(records: [a], batches: [[b], [c]]))
        let decoded = try UsageBatch.decode(json, maxRecords: 10)
        XCTAssertEqual(try decoded.usageRecords(receivedAt: 0).map(\.requestID), ["r-a", "r-b", "r-c"])
        XCTAssertThrowsError(try UsageBatch.decode(json, maxRecords: 2)) {
            XCTAssertTrue(($0 as? UsageError)?.errorMessage.contains("limit of 2") ?? false)
        }
        XCTAssertThrowsError(try UsageBatch.decode(.object([:]), maxRecords: 2), "an empty message is refused")
    }

    /// Issue 12: keys joined with U+001F must not collide. `("a\u{1F}b", "c")` and
    /// `("a", "b\u{1F}c")` join to the same text; the store refuses such parts instead.
    func testJoinedKeysCannotCollide() {
        var first = Fixtures.llm("a\u{1F}b")
        first.step = "c"
        var second = Fixtures.llm("a")
        second.step = "b\u{1F}c"
        second.invocationID = first.invocationID
        XCTAssertEqual(first.documentID, second.documentID, "the hazard: the joined texts are equal")
        XCTAssertThrowsError(try first.storageKey(index: 0))
        XCTAssertThrowsError(try second.storageKey(index: 0))
        XCTAssertThrowsError(try first.validate(index: 0))
        var clean = Fixtures.llm("a")
        clean.step = "b"
        XCTAssertNoThrow(try clean.storageKey(index: 0))
        // A rollup bucket id (minute, tenant, step, model, backend) is safe only if tenant and
        // model carry no separator either.
        var tenant = Fixtures.llm("r")
        tenant.tenant = "acme\u{1F}llm"
        XCTAssertThrowsError(try tenant.storageKey(index: 0))
        var model = Fixtures.llm("r")
        model.model = "gpt-4o\u{1F}external"
        XCTAssertThrowsError(try model.storageKey(index: 0))
    }

    func testMessagesAreSplitUnderTheSizeLimit() throws {
        let records = (0..<40).map { Fixtures.llm("req-split-\($0)") }
        let batch = UsageBatch(
            records: records, failures: [StepFailure(step: "vision", error: "States.Timeout")], context: context)
        let whole = try batch.messageBodies(limit: 1 << 20)
        XCTAssertEqual(whole.count, 1)
        let parts = try batch.messageBodies(limit: 8_000)
        XCTAssertGreaterThan(parts.count, 1)
        var seen: [String] = []
        var failures = 0
        for part in parts {
            XCTAssertLessThanOrEqual(part.utf8.count, 8_000)
            let decoded = try UsageBatch.decode(try JSON.parse(part), maxRecords: 500)
            seen += decoded.allRecords.map(\.requestID)
            failures += decoded.failures?.count ?? 0
        }
        XCTAssertEqual(seen, records.map(\.requestID))
        XCTAssertEqual(failures, 1, "failures travel once, with the first part")
        XCTAssertThrowsError(try UsageBatch(records: [records[0]]).messageBodies(limit: 100))
    }
}
