import SwitchyardCore
import SwitchyardJSON
import XCTest

@testable import SwitchyardEmulator

// The emulator has no test target of its own yet (the runtime's tests already link it); these move
// there with it.

/// The SQS event source mapping's reading of a function's answer, as Lambda documents it for
/// `ReportBatchItemFailures`, and the trigger configuration's checks.
final class EventSourceMappingTests: XCTestCase {
    let batch: Set<String> = ["a", "b", "c"]

    func failed(_ text: String, report: Bool = true) -> Set<String>? {
        SQSEventSourceMapping.failedIDs(Array(text.utf8), batch: batch, reportBatchItemFailures: report)
    }

    func testBatchItemFailuresAreReadAsLambdaDoes() {
        XCTAssertEqual(failed(#"{"batchItemFailures": [{"itemIdentifier": "b"}]}"#), ["b"])
        // Complete success: an empty or null list, an empty or null answer.
        XCTAssertEqual(failed(#"{"batchItemFailures": []}"#), [])
        XCTAssertEqual(failed(#"{"batchItemFailures": null}"#), [])
        XCTAssertEqual(failed("{}"), [])
        XCTAssertEqual(failed("null"), [])
        // Complete failure (nil: keep every message): not JSON, an empty, null or unknown id.
        XCTAssertNil(failed("not json"))
        XCTAssertNil(failed(#"{"batchItemFailures": [{"itemIdentifier": ""}]}"#))
        XCTAssertNil(failed(#"{"batchItemFailures": [{"itemIdentifier": null}]}"#))
        XCTAssertNil(failed(#"{"batchItemFailures": [{"itemIdentifier": "zz"}]}"#))
        XCTAssertNil(failed(#"{"batchItemFailures": [{"id": "a"}]}"#))
        // Without ReportBatchItemFailures, a successful invocation deletes everything.
        XCTAssertEqual(failed(#"{"batchItemFailures": [{"itemIdentifier": "b"}]}"#, report: false), [])
    }

    func testQueueARNAndOriginComeFromTheQueueURL() {
        XCTAssertEqual(
            SQSEventSourceMapping.queueARN("http://127.0.0.1:5000/123456789012/usage", region: "us-east-1"),
            "arn:aws:sqs:us-east-1:123456789012:usage")
        XCTAssertEqual(
            EventSourceMappingConfiguration.origin(of: "https://sqs.eu-west-1.amazonaws.com/1/q"),
            "https://sqs.eu-west-1.amazonaws.com")
    }

    func testTriggersAreCheckedAndExpanded() throws {
        let directory = NSTemporaryDirectory() + "triggers-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        func load(_ document: String, _ environment: [String: String] = [:]) throws -> EmulatorConfiguration {
            let path = directory + "/functions.json"
            try document.write(toFile: path, atomically: true, encoding: .utf8)
            return try EmulatorConfiguration.load(path: path, environment: Environment(environment))
        }
        let function = #"{"name": "usage-logger", "bootstrap": "/bin/true"}"#
        let configured = try load(
            #"{"functions": [\#(function)], "eventSourceMappings": [{"function": "usage-logger", "queueURL": "${Q:-}"}],"#
                + #" "schedules": [{"function": "usage-logger", "rateSeconds": 60, "enabled": "${R:-false}"}]}"#,
            ["Q": "http://127.0.0.1:4566/000000000000/usage", "R": "true"])
        XCTAssertEqual(configured.eventSourceMappings[0].endpoint, "http://127.0.0.1:4566")
        XCTAssertTrue(configured.eventSourceMappings[0].enabled)
        XCTAssertTrue(configured.schedules[0].enabled)
        let unset = try load(
            #"{"functions": [\#(function)], "eventSourceMappings": [{"function": "usage-logger", "queueURL": "${Q:-}"}],"#
                + #" "schedules": [{"function": "usage-logger", "rateSeconds": 60, "enabled": "${R:-false}"}]}"#)
        XCTAssertFalse(unset.eventSourceMappings[0].enabled, "no queue URL: the mapping is off")
        XCTAssertFalse(unset.schedules[0].enabled)
        XCTAssertThrowsError(
            try load(#"{"functions": [\#(function)], "schedules": [{"function": "nobody", "rateSeconds": 1}]}"#))
        XCTAssertThrowsError(
            try load(
                #"{"functions": [\#(function)], "eventSourceMappings": [{"function": "usage-logger", "#
                    + #""queueURL": "http://q/1/x", "batchSize": 0}]}"#))
        XCTAssertThrowsError(
            try load(#"{"functions": [\#(function)], "schedules": [{"function": "usage-logger", "rateSeconds": 0}]}"#))
    }
}
