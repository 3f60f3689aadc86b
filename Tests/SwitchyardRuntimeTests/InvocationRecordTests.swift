import SwitchyardCore
import SwitchyardJSON
import XCTest

@testable import SwitchyardRuntime

final class InvocationRecordTests: XCTestCase {
    private func record(_ outcome: InvocationRecord.Outcome, initDuration: Duration? = nil) -> InvocationRecord {
        InvocationRecord(
            requestID: "req-1", functionName: "router", traceID: "Root=1-x", outcome: outcome,
            errorType: outcome == .success ? nil : "Router.BudgetExceeded",
            errorMessage: outcome == .success ? nil : "over budget\nfor key sk-abcdefghijklmnopqrstuvwxyz",
            duration: .microseconds(2_500), initDuration: initDuration, memorySizeMB: 512,
            timestamp: 1_764_072_000_123)
    }

    func testBilledDurationRoundsUpAndIncludesInitOnAColdStart() {
        // Lambda's REPORT line: Duration 2.50 ms + Init Duration 27.01 ms → Billed Duration 30 ms.
        XCTAssertEqual(record(.success, initDuration: .microseconds(27_010)).billedDurationMilliseconds, 30)
        XCTAssertEqual(record(.success).billedDurationMilliseconds, 3)
        var exact = record(.success)
        exact.duration = .milliseconds(4)
        XCTAssertEqual(exact.billedDurationMilliseconds, 4)
    }

    func testMillisecondsKeepThreeDecimals() {
        XCTAssertEqual(InvocationRecord.milliseconds(.microseconds(2_500)), "2.500")
        XCTAssertEqual(InvocationRecord.milliseconds(.microseconds(12_345_678)), "12345.678")
        XCTAssertEqual(InvocationRecord.milliseconds(.nanoseconds(999)), "0.000")
    }

    func testTheLineIsOneEmbeddedMetricFormatDocument() throws {
        let line = record(.error, initDuration: .milliseconds(5)).line(maxMemoryUsedMB: 42)
        XCTAssertEqual(line.last, 0x0A)
        XCTAssertEqual(line.filter { $0 == 0x0A }.count, 1)
        let json = try JSON.parse(line.dropLast())
        let aws = try XCTUnwrap(json["_aws"])
        XCTAssertEqual(aws["Timestamp"], 1_764_072_000_123)
        guard case .array(let directives) = aws["CloudWatchMetrics"] else { return XCTFail("\(aws)") }
        XCTAssertEqual(directives.count, 2)
        XCTAssertEqual(directives[0]["Dimensions"], [["function"]])
        XCTAssertEqual(directives[1]["Dimensions"], [["function", "errorType"]])
        guard case .array(let metrics) = directives[0]["Metrics"] else { return XCTFail() }
        let names = metrics.compactMap { $0["Name"]?.stringValue }
        XCTAssertEqual(names, ["Invocations", "Errors", "Duration", "BilledDuration", "MaxMemoryUsed", "InitDuration"])
        XCTAssertEqual(json["function"], "router")
        XCTAssertEqual(json["errorType"], "Router.BudgetExceeded")
        XCTAssertEqual(json["Errors"], 1)
        XCTAssertEqual(json["Duration"], 2.5)
        XCTAssertEqual(json["BilledDuration"], 8)
        XCTAssertEqual(json["InitDuration"], 5.0)
        XCTAssertEqual(json["MemorySize"], 512)
        XCTAssertEqual(json["MaxMemoryUsed"], 42)
        XCTAssertEqual(json["level"], "ERROR")
        XCTAssertEqual(json["timestamp"], "2025-11-25T12:00:00.123Z")
        XCTAssertEqual(json["errorMessage"], "over budget\nfor key [REDACTED]")
    }

    func testASuccessHasNoErrorDirective() throws {
        let json = try JSON.parse(record(.success).line(maxMemoryUsedMB: 1).dropLast())
        guard case .array(let directives) = json["_aws"]?["CloudWatchMetrics"] else { return XCTFail() }
        XCTAssertEqual(directives.count, 1)
        XCTAssertEqual(json["Errors"], 0)
        XCTAssertNil(json["errorType"])
        XCTAssertNil(json["InitDuration"])
        XCTAssertEqual(json["level"], "INFO")
    }

    func testAnErrorMessageIsCutTo512Bytes() throws {
        var long = record(.error)
        long.errorMessage = String(repeating: "é", count: 1_000)
        let json = try JSON.parse(long.line(maxMemoryUsedMB: 1).dropLast())
        XCTAssertLessThanOrEqual(try XCTUnwrap(json["errorMessage"]?.stringValue).utf8.count, 512)
    }

    func testTheLineWriterSpellsTimesNumbersAndStringsExactly() throws {
        for ms: Int64 in [0, 1_764_072_000_123, 951_782_400_999, 4_102_444_799_000, 1_000_000_000_001] {
            var line = JSONLine()
            line.timestamp(milliseconds: ms)
            XCTAssertEqual(String(decoding: line.bytes, as: UTF8.self), WallClock.iso8601(milliseconds: ms))
        }
        for value: Int64 in [0, 7, 10, 999, 1_000_000, .max, -42] {
            var line = JSONLine()
            line.integer(value)
            XCTAssertEqual(String(decoding: line.bytes, as: UTF8.self), String(value))
        }
        let tricky = "quote\" back\\ nl\n cr\r tab\t nul\u{0} bel\u{7} ls\u{2028} ps\u{2029} dash – é ✓ \u{E2}x"
        var line = JSONLine()
        line.raw(Array(#"{"a":1"#.utf8))
        line.member(Array(#","k":""#.utf8), tricky)
        line.raw(Array("}".utf8))
        XCTAssertFalse(line.bytes.contains(0x0A), "no raw newline")
        XCTAssertEqual(try JSON.parse(line.bytes)["k"]?.stringValue, tricky)
    }
}
