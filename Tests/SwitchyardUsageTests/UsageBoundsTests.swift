import SwitchyardBilling
import SwitchyardContract
import SwitchyardJSON
import SwitchyardUsage
import SwitchyardUsageLoggerFunction
import XCTest

/// Quantities are range-checked where records enter (issue 12): generous but finite bounds, each
/// with a typed error; and rollup sums are checked arithmetic, never a trap.
final class UsageBoundsTests: XCTestCase {
    func errorType(_ body: () throws -> Void) -> String? {
        do {
            try body()
            return nil
        } catch let error as UsageError { return error.errorType } catch { return "\(error)" }
    }

    func testQuantitiesBeyondTheBoundsAreInvalidRecords() {
        let limits = UsageRecord.Limits.self
        let cases: [(String, (inout UsageRecord) -> Void)] = [
            ("tokens.input", { $0.tokens = .init(input: limits.maxTokens + 1, output: 1) }),
            ("tokens.output", { $0.tokens = .init(input: 1, output: limits.maxTokens + 1) }),
            ("images.count", { $0.images = .init(count: limits.maxImages + 1, pixels: 1) }),
            ("images.pixels", { $0.images = .init(count: 1, pixels: limits.maxPixels + 1) }),
            ("latency.totalMs", { $0.latency.totalMs = limits.maxDurationMs + 1 }),
            ("latency.ttftMs", { $0.latency.ttftMs = limits.maxDurationMs + 1 }),
            ("compute.durationMs", { $0.compute?.durationMs = limits.maxDurationMs + 1 }),
            ("compute.memoryMB", { $0.compute?.memoryMB = limits.maxMemoryMB + 1 }),
            (
                "compute.milliVCPU",
                {
                    $0.compute = .init(
                        kind: "fargate", architecture: "arm64", memoryMB: 512, milliVCPU: limits.maxMilliVCPU + 1,
                        durationMs: 10)
                }
            ),
            ("orchestration.durationMs", { $0.orchestration = .init(durationMs: limits.maxDurationMs + 1) }),
            ("orchestration.memoryMB", { $0.orchestration = .init(memoryMB: limits.maxMemoryMB + 1, durationMs: 1) }),
            ("orchestration.requests", { $0.orchestration = .init(durationMs: 1, requests: limits.maxRequests + 1) }),
            ("timestamp", { $0.timestamp = limits.maxTimestamp + 1 }),
            ("timestamp", { $0.timestamp = .max }),
        ]
        for (field, mutate) in cases {
            var record = Fixtures.llm("r1")
            mutate(&record)
            do {
                try record.validate(index: 3)
                XCTFail("\(field) beyond its bound was accepted")
            } catch {
                XCTAssertEqual(error.errorType, "Usage.InvalidRecord", field)
                XCTAssertTrue(error.errorMessage.contains(field), "\(field): \(error.errorMessage)")
                XCTAssertTrue(error.errorMessage.hasPrefix("record 3"), error.errorMessage)
            }
        }
    }

    /// At the bounds, records are valid and price without leaving the range, even with the
    /// dearest model of the table (Opus output, $75/1M: 10¹⁰ tokens are $750,000).
    func testRecordsAtTheBoundsPrice() throws {
        let limits = UsageRecord.Limits.self
        var record = Fixtures.llm("r1", input: limits.maxTokens, output: limits.maxTokens)
        record.model = "claude-3-opus"
        record.latency = .init(totalMs: limits.maxDurationMs, backendMs: limits.maxDurationMs, ttftMs: 0)
        record.compute = .init(
            kind: "lambda", architecture: "x86_64", memoryMB: limits.maxMemoryMB, durationMs: limits.maxDurationMs)
        record.orchestration = .init(memoryMB: 64, durationMs: limits.maxDurationMs, requests: limits.maxRequests)
        try record.validate(index: 0)
        XCTAssertNoThrow(try record.priced(by: Fixtures.calculator))
    }

    /// The gpt-4o record with 5·10¹¹ output tokens: refused before pricing, typed.
    func testTheLoggerRefusesHugeTokenCountsBeforePricing() throws {
        let record = Fixtures.llm("r1", input: 1, output: 500_000_000_000)
        let ingestor = UsageIngestor(calculator: Fixtures.calculator, sink: MemoryUsageSinkStub())
        let body = try JSON.encodeToJSON(UsageBatch(records: [record]))
        XCTAssertEqual(errorType { _ = try ingestor.price(body, sentAt: 0) }, "Usage.InvalidRecord")
    }

    /// Rollup sums used to be unchecked `+=`: two records with Int64.max tokens trapped.
    func testRollupSumsOutOfRangeAreTyped() throws {
        var values = [Int64](repeating: 0, count: RollupContribution.fields.count)
        values[RollupContribution.fields.firstIndex(of: "tokensInput")!] = .max
        let big = RollupContribution(
            minute: 0, tenant: "t", step: "llm", model: "m", backend: "external", values: values)
        var delta = RollupDelta()
        try delta.add(big, sign: 1)
        XCTAssertThrowsError(try delta.add(big, sign: 1)) { error in
            XCTAssertEqual((error as? UsageError)?.errorType, "Usage.InvalidRecord")
            XCTAssertTrue((error as? UsageError)?.errorMessage.contains("tokensInput") ?? false, "\(error)")
        }
        var negative = RollupDelta()
        var low = values
        low[RollupContribution.fields.firstIndex(of: "tokensInput")!] = .min
        try negative.add(
            RollupContribution(minute: 0, tenant: "t", step: "llm", model: "m", backend: "external", values: low),
            sign: 1)
        XCTAssertThrowsError(try negative.add(big, sign: -1), "Int64.min - Int64.max")
        // sign × value itself overflows for Int64.min.
        var fresh = RollupDelta()
        XCTAssertThrowsError(
            try fresh.add(
                RollupContribution(minute: 0, tenant: "t", step: "llm", model: "m", backend: "external", values: low),
                sign: -1))
    }
}

/// A sink that must never be reached by these tests.
struct MemoryUsageSinkStub: UsageSink {
    func write(_ records: [UsageRecord], deadline: ContinuousClock.Instant) async throws(UsageError)
        -> UsageWriteSummary
    {
        XCTFail("no write expected")
        return UsageWriteSummary()
    }
}
