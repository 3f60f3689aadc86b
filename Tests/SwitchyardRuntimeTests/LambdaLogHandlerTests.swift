import Logging
import SwitchyardCore
import SwitchyardJSON
import XCTest

@testable import SwitchyardRuntime

final class LambdaLogHandlerTests: XCTestCase {
    private func event(_ level: Logger.Level, _ message: String, _ metadata: Logger.Metadata) -> LogEvent {
        LogEvent(
            level: level, message: "\(message)", metadata: metadata, source: nil, file: #file, function: #function,
            line: #line)
    }

    func testJSONFormatIsLambdasStructuredShape() throws {
        var handler = LambdaLogHandler(label: "router", format: .json, level: .info)
        handler[metadataKey: "aws-request-id"] = "req-7"
        let line = handler.format(
            event(.warning, "slow provider", ["switchyard.model": "gpt-4o"]), timestamp: 1_764_072_000_123)
        XCTAssertEqual(line.last, 0x0A)
        let json = try JSON.parse(line.dropLast())
        XCTAssertEqual(json["timestamp"], "2025-11-25T12:00:00.123Z")
        XCTAssertEqual(json["level"], "WARN")
        XCTAssertEqual(json["message"], "slow provider")
        XCTAssertEqual(json["requestId"], "req-7")
        XCTAssertEqual(json["switchyard.model"], "gpt-4o")
    }

    func testTextFormat() {
        let handler = LambdaLogHandler(label: "router", format: .text, level: .info)
        let line = handler.format(event(.error, "boom", ["aws-request-id": "r1", "k": "v"]), timestamp: 0)
        XCTAssertEqual(String(decoding: line, as: UTF8.self), "1970-01-01T00:00:00.000Z ERROR r1 boom k=v\n")
    }

    func testConfigurationReadsLambdaVariables() throws {
        let configuration = try RuntimeConfiguration(
            environment: .init([
                "AWS_LAMBDA_RUNTIME_API": "127.0.0.1:9001", "AWS_LAMBDA_LOG_FORMAT": "JSON",
                "AWS_LAMBDA_LOG_LEVEL": "DEBUG",
            ]))
        XCTAssertEqual(configuration.logFormat, .json)
        XCTAssertEqual(configuration.logLevel, .debug)
        XCTAssertThrowsError(try RuntimeConfiguration(environment: .init([:]))) { error in
            XCTAssertEqual(error as? ConfigurationError, .missing(variable: "AWS_LAMBDA_RUNTIME_API"))
        }
        XCTAssertThrowsError(
            try RuntimeConfiguration(
                environment: .init(["AWS_LAMBDA_RUNTIME_API": "x:1", "AWS_LAMBDA_LOG_LEVEL": "LOUD"])))
    }

    func testTextEntriesStayOnOneLineWhateverTheyHold() {
        let handler = LambdaLogHandler(label: "router", format: .text, level: .info)
        let line = handler.format(
            event(
                .info, "first\nERROR forged second line", ["aws-request-id": "r1\nX", "note": "a\r\nb", "k\nk": "v"]),
            timestamp: 0)
        let text = String(decoding: line, as: UTF8.self)
        XCTAssertEqual(text.filter { $0 == "\n" }.count, 1, text)
        XCTAssertEqual(
            text, #"1970-01-01T00:00:00.000Z INFO r1\nX first\nERROR forged second line k\nk=v note=a\r\nb"# + "\n")
    }

    func testSecretsAreRedactedInBothFormats() throws {
        let metadata: Logger.Metadata = [
            "authorization": "Bearer abc", "x-api-key": "k-1", "switchyard.tokens": "12",
            "upstream": ["headers": ["Authorization": "Bearer zzz"]],
        ]
        let message = "calling with key sk-abcdefghijklmnopqrstuvwxyz"
        let text = String(
            decoding: LambdaLogHandler(label: "l", format: .text, level: .info).format(
                event(.info, message, metadata), timestamp: 0), as: UTF8.self)
        XCTAssertFalse(text.contains("abc") || text.contains("k-1") || text.contains("zzz"), text)
        XCTAssertTrue(text.contains("authorization=[REDACTED]") && text.contains("switchyard.tokens=12"), text)
        XCTAssertTrue(text.contains("calling with key [REDACTED]"), text)
        let json = try JSON.parse(
            LambdaLogHandler(label: "l", format: .json, level: .info).format(
                event(.info, message, metadata), timestamp: 0
            ).dropLast())
        XCTAssertEqual(json["authorization"], "[REDACTED]")
        XCTAssertEqual(json["x-api-key"], "[REDACTED]")
        XCTAssertEqual(json["switchyard.tokens"], "12")
        XCTAssertEqual(json["upstream"]?["headers"]?["Authorization"], "[REDACTED]")
        XCTAssertEqual(json["message"], "calling with key [REDACTED]")
    }
}
