import SwitchyardBilling
import SwitchyardContract
import SwitchyardJSON
import SwitchyardUsage
import SwitchyardUsageLoggerFunction
import XCTest

final class UsageRecordValidationTests: XCTestCase {
    func errorType(_ body: () throws -> Void) -> String? {
        do {
            try body()
            return nil
        } catch let error as UsageError { return error.errorType } catch { return "\(error)" }
    }

    func testValidRecordPasses() throws {
        try Fixtures.llm("r1").validate(index: 0)
    }

    func testNegativeCountsAreTyped() {
        var record = Fixtures.llm("r1")
        record.tokens?.output = -3
        XCTAssertEqual(errorType { try record.validate(index: 0) }, "Usage.NegativeCount")
        record = Fixtures.llm("r1")
        record.latency.totalMs = -1
        XCTAssertEqual(errorType { try record.validate(index: 0) }, "Usage.NegativeCount")
        record = Fixtures.llm("r1")
        record.images = .init(count: -1, pixels: 0)
        XCTAssertEqual(errorType { try record.validate(index: 0) }, "Usage.NegativeCount")
    }

    func testMissingTokensOnASucceededTextStep() {
        var record = Fixtures.llm("r1")
        record.tokens = nil
        XCTAssertEqual(errorType { try record.validate(index: 0) }, "Usage.MissingTokens")
        record.status = .failed
        XCTAssertNil(errorType { try record.validate(index: 0) }, "a failed call may have no tokens")
    }

    func testInvariantsAndEnumerations() {
        var record = Fixtures.llm("r1")
        record.tokens = .init(input: 10, output: 5, cached: 11)
        XCTAssertEqual(errorType { try record.validate(index: 0) }, "Usage.InvalidRecord")
        record = Fixtures.llm("r1")
        record.step = "llm\u{1F}x"
        XCTAssertEqual(
            errorType { try record.validate(index: 0) }, "Usage.InvalidRecord", "control characters in a key")
        record = Fixtures.llm("")
        XCTAssertEqual(errorType { try record.validate(index: 0) }, "Usage.InvalidRecord")
        record = Fixtures.llm("r1")
        record.compute = .init(kind: "lambda", durationMs: 5)
        XCTAssertEqual(
            errorType { try record.validate(index: 0) }, "Usage.InvalidRecord",
            "lambda compute needs architecture and memory")
        record = Fixtures.llm("r1")
        record.errorCause = String(repeating: "x", count: 9000)
        XCTAssertEqual(errorType { try record.validate(index: 0) }, "Usage.RecordTooLarge")
    }

    func testRollupContributionOfAPricedRecord() throws {
        let record = Fixtures.llm("r1", latencyMs: 120, status: .failed).pricedForTest()
        let contribution = RollupContribution(record: record)
        XCTAssertEqual(contribution.minute, Fixtures.noon)
        func value(_ name: String) -> Int64 { contribution.values[RollupContribution.fields.firstIndex(of: name)!] }
        XCTAssertEqual(value("count"), 1)
        XCTAssertEqual(value("errors"), 1)
        XCTAssertEqual(value("tokensInput"), 1000)
        XCTAssertEqual(value("costTotal"), record.cost!.totalPicoUSD)
        XCTAssertEqual(value("h04"), 1, "120 ms falls in the 100-250 ms bucket")
        var delta = RollupDelta()
        try delta.add(contribution, sign: 1)
        try delta.add(contribution, sign: -1)
        XCTAssertTrue(delta.nonZero.isEmpty, "an identical re-delivery is a zero delta")
    }

    func testHistogramPercentiles() {
        var counts = [Int64](repeating: 0, count: LatencyHistogram.bucketCount)
        counts[LatencyHistogram.bucket(forMilliseconds: 80)] = 90
        counts[LatencyHistogram.bucket(forMilliseconds: 4000)] = 10
        XCTAssertEqual(LatencyHistogram.percentile(0.5, counts: counts), 100)
        XCTAssertEqual(LatencyHistogram.percentile(0.95, counts: counts), 5000)
        XCTAssertNil(
            LatencyHistogram.percentile(0.5, counts: [Int64](repeating: 0, count: LatencyHistogram.bucketCount)))
    }

    func testMonthStart() {
        XCTAssertEqual(UTCCalendar.startOfMonth(epochMilliseconds: Fixtures.noon), 1_793_491_200_000)  // 2026-11-01
        // 2024-02-29 → 02-01
        XCTAssertEqual(UTCCalendar.startOfMonth(epochMilliseconds: 1_709_164_800_000), 1_706_745_600_000)
    }
}

final class UsageLoggerHandlerTests: XCTestCase {
    let handler = UsageLoggerHandler(
        ingestor: UsageIngestor(calculator: Fixtures.calculator, sink: UnusedSink(), maxRecordsPerMessage: 3))

    /// The handler's pricing path needs no store; a sink that fails loudly proves it is not used.
    struct UnusedSink: UsageSink {
        func write(_ records: [UsageRecord], deadline: ContinuousClock.Instant) async throws(UsageError)
            -> UsageWriteSummary
        {
            throw .storeRejected(detail: "not expected in this test")
        }
    }

    func event(_ text: String) throws -> JSON { try JSON.parse(text) }

    func sampleEvent(_ name: String) throws -> JSON {
        let bytes = try XCTUnwrap(
            FileManager.default.contents(atPath: Fixtures.repositoryRoot + "/events/usage-logger/" + name))
        return try JSON.parse(Array(bytes))
    }

    func testPricesTheBriefExampleFromTheSampleEvent() throws {
        let records = try handler.price(try sampleEvent("gpt4o-brief-example.json"))
        XCTAssertEqual(records.count, 1)
        // $5/1M × 1000 + $20/1M × 500 = $0.015 model cost.
        XCTAssertEqual(records[0].cost?.modelPicoUSD, 15_000_000_000)
        XCTAssertEqual(records[0].cost?.rateVersion, Fixtures.calculator.rates.version)
    }

    func testEverySampleEventPricesOrFailsWithItsDocumentedType() throws {
        let expected: [String: String?] = [
            "gpt4o-brief-example.json": nil, "batch-mixed.json": nil, "unknown-model.json": nil,
            "catch-failure.json": nil, "negative-tokens.json": "Usage.NegativeCount",
            "missing-tokens.json": "Usage.MissingTokens", "malformed.json": "Usage.InvalidRecord",
        ]
        let handler = UsageLoggerHandler(ingestor: UsageIngestor(calculator: Fixtures.calculator, sink: UnusedSink()))
        for (name, type) in expected {
            let event = try sampleEvent(name)
            do {
                _ = try handler.price(event)
                XCTAssertNil(type, "\(name) should fail with \(type ?? "")")
            } catch {
                XCTAssertEqual(error.errorType, type, name)
            }
        }
    }

    func testUnknownModelIsKeptAndFlagged() throws {
        let records = try handler.price(try sampleEvent("unknown-model.json"))
        XCTAssertEqual(records[0].cost?.unpriced, ["model"])
        XCTAssertGreaterThan(records[0].cost?.computePicoUSD ?? 0, 0)
    }

    func testShapeErrorsNameTheRecord() throws {
        XCTAssertThrowsError(try handler.price(try event(#"{"records": []}"#))) {
            XCTAssertEqual(($0 as? UsageError)?.errorType, "Usage.InvalidRecord")
        }
        XCTAssertThrowsError(try handler.price(try event(#"[1,2]"#)))
        let four = #"{"records": [{}, {}, {}, {}]}"#
        XCTAssertThrowsError(try handler.price(try event(four))) {
            XCTAssertTrue(($0 as? UsageError)?.errorMessage.contains("limit of 3") ?? false)
        }
        XCTAssertThrowsError(try handler.price(try event(#"{"records": [{"requestId": "a"}]}"#))) {
            XCTAssertEqual(($0 as? UsageError)?.errorType, "Usage.InvalidRecord")
            XCTAssertTrue(($0 as? UsageError)?.errorMessage.hasPrefix("record 0:") ?? false)
        }
        // A bad record in a Map's nested list is named by its position over all records.
        let nested = #"{"records": [], "batches": [[], [{"requestId": "b"}]]}"#
        XCTAssertThrowsError(try handler.price(try event(nested))) {
            XCTAssertTrue(($0 as? UsageError)?.errorMessage.hasPrefix("record 0:") ?? false)
        }
    }
}
