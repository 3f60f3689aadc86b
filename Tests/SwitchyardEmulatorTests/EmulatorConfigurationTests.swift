import Foundation
import SwitchyardCore
import XCTest

@testable import SwitchyardEmulator

final class EmulatorConfigurationTests: XCTestCase {
    private func load(_ document: String, environment: [String: String] = [:]) throws -> EmulatorConfiguration {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("functions-\(UUID()).json").path
        try document.write(toFile: path, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: path) }
        return try EmulatorConfiguration.load(path: path, environment: Environment(environment))
    }

    func testDefaultsAndExpansion() throws {
        let configuration = try load(
            #"{"functions":[{"name":"echo","bootstrap":"${BIN}/echo","environment":{"URI":"${URI:-mongodb://x}"}}]}"#,
            environment: ["BIN": "/opt/bin"])
        let echo = try XCTUnwrap(configuration.functions.first)
        XCTAssertEqual(echo.bootstrap, "/opt/bin/echo")
        XCTAssertEqual(echo.environment["URI"], "mongodb://x")
        XCTAssertEqual(echo.timeoutSeconds, 3)
        XCTAssertEqual(echo.memoryMB, 128)
        XCTAssertEqual(echo.maxConcurrency, 4)
        XCTAssertEqual(echo.initTimeoutSeconds, 10)
        XCTAssertEqual(echo.timeoutMilliseconds, 3_000)
        XCTAssertEqual(echo.timeoutText, "3.00")
    }

    func testEveryNumberIsRangeCheckedWithATypedError() {
        let cases: [(String, String)] = [
            (#""timeoutSeconds": 0.5"#, "timeoutSeconds"), (#""timeoutSeconds": 901"#, "timeoutSeconds"),
            (#""timeoutSeconds": 1e308"#, "timeoutSeconds"), (#""initTimeoutSeconds": 1e300"#, "initTimeoutSeconds"),
            (#""initTimeoutSeconds": 0"#, "initTimeoutSeconds"), (#""initTimeoutSeconds": -1"#, "initTimeoutSeconds"),
            (#""memoryMB": 127"#, "memoryMB"), (#""memoryMB": 10241"#, "memoryMB"),
            (#""maxConcurrency": 0"#, "maxConcurrency"), (#""maxConcurrency": 1001"#, "maxConcurrency"),
            (#""memoryMB": 1e30"#, "memoryMB"), (#""memoryMB": 12.5"#, "memoryMB"),
        ]
        for (field, name) in cases {
            XCTAssertThrowsError(try load(#"{"functions":[{"name":"f","bootstrap":"/bin/true","# + field + "}]}")) {
                guard let error = $0 as? ConfigurationError else { return XCTFail("\(field): \($0)") }
                XCTAssertEqual(error.errorType, "Config.InvalidDocument", field)
                XCTAssertTrue(error.errorMessage.contains(name), "\(field): \(error.errorMessage)")
            }
        }
    }

    func testNamesAndEnvironmentBecomeSafeCStrings() {
        for document in [
            #"{"functions":[{"name":"bad name","bootstrap":"/bin/true"}]}"#,
            #"{"functions":[{"name":"","bootstrap":"/bin/true"}]}"#,
            #"{"functions":[{"name":"a/../b","bootstrap":"/bin/true"}]}"#,
            #"{"functions":[{"name":"f","bootstrap":""}]}"#,
            #"{"functions":[{"name":"f","bootstrap":"/bin/true","environment":{"A=B":"x"}}]}"#,
            #"{"functions":[{"name":"f","bootstrap":"/bin/true","environment":{"A":"x\u0000y"}}]}"#,
            #"{"functions":[{"name":"f","bootstrap":"/bin/true"},{"name":"f","bootstrap":"/bin/true"}]}"#,
            #"{"functions":[{"name":"f","bootstrap":"${MISSING}"}]}"#,
            #"{"functions":[{"name":"f"}]}"#,
        ] {
            XCTAssertThrowsError(try load(document), document) {
                XCTAssertEqual(($0 as? ConfigurationError)?.errorType, "Config.InvalidDocument", document)
            }
        }
    }

    func testTimeoutTextIsLambdasSpelling() {
        XCTAssertEqual(FunctionConfiguration.seconds(milliseconds: 2_000), "2.00")
        XCTAssertEqual(FunctionConfiguration.seconds(milliseconds: 1_505), "1.51")
        XCTAssertEqual(FunctionConfiguration.seconds(milliseconds: 100), "0.10")
        XCTAssertEqual(FunctionConfiguration.seconds(milliseconds: 900_000), "900.00")
    }
}
