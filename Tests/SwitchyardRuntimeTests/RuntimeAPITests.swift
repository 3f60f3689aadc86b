import SwitchyardCore
import SwitchyardJSON
import SwitchyardRuntimeAPI
import XCTest

@testable import SwitchyardRuntime

final class RuntimeAPITests: XCTestCase {
    func testRoutes() {
        typealias Route = RuntimeAPI.Route
        XCTAssertEqual(Route(method: "GET", path: "/2018-06-01/runtime/invocation/next"), .next)
        XCTAssertEqual(Route(method: "GET", path: "/2018-06-01/runtime/invocation/next?x=1"), .next)
        XCTAssertEqual(
            Route(method: "POST", path: "/2018-06-01/runtime/invocation/abc-1/response"), .response(requestID: "abc-1"))
        XCTAssertEqual(
            Route(method: "POST", path: "/2018-06-01/runtime/invocation/abc/error"), .error(requestID: "abc"))
        XCTAssertEqual(Route(method: "POST", path: "/2018-06-01/runtime/init/error"), .initError)
        for (method, path) in [
            ("POST", "/2018-06-01/runtime/invocation/next"), ("GET", "/2018-06-01/runtime/invocation/a/response"),
            ("POST", "/2018-06-01/runtime/invocation//response"),
            ("POST", "/2018-06-01/runtime/invocation/a/b/response"),
            ("GET", "/2019-01-01/runtime/invocation/next"), ("GET", "/"), ("GET", ""),
            ("GET", "2018-06-01/runtime/invocation/next"),
        ] {
            XCTAssertNil(Route(method: method, path: path), "\(method) \(path)")
        }
        XCTAssertEqual(RuntimeAPI.responsePath("r1"), "/2018-06-01/runtime/invocation/r1/response")
        XCTAssertEqual(Route(method: "POST", path: RuntimeAPI.errorPath("r1")), .error(requestID: "r1"))
    }

    func testHeaderNamesCompareWithoutCase() {
        XCTAssertTrue(RuntimeAPI.Header.matches("lambda-runtime-aws-request-id", RuntimeAPI.Header.requestID))
        XCTAssertTrue(RuntimeAPI.Header.matches("LAMBDA-RUNTIME-DEADLINE-MS", RuntimeAPI.Header.deadline))
        XCTAssertFalse(RuntimeAPI.Header.matches("lambda-runtime-deadline-m", RuntimeAPI.Header.deadline))
        XCTAssertFalse(RuntimeAPI.Header.matches("lambda-runtime-deadline-ms2", RuntimeAPI.Header.deadline))
    }

    func testErrorDocumentsAreReadWhateverARuntimeSends() {
        let document = Array(#"{"errorMessage":"m","errorType":"Body.Type","stackTrace":[]}"#.utf8)
        XCTAssertEqual(
            ErrorReport(document: document, typeHeader: "Header.Type"),
            ErrorReport(errorType: "Header.Type", errorMessage: "m"))
        XCTAssertEqual(
            ErrorReport(document: document, typeHeader: nil), ErrorReport(errorType: "Body.Type", errorMessage: "m"))
        XCTAssertEqual(
            ErrorReport(document: Array("plain text".utf8), typeHeader: nil),
            ErrorReport(errorType: "Runtime.Unknown", errorMessage: "plain text"))
        XCTAssertEqual(
            ErrorReport(document: Array(repeating: 0x41, count: 5_000), typeHeader: "T").errorMessage.utf8.count, 1024)
        let report = ErrorReport(errorType: "Probe.Failure", errorMessage: "broke")
        XCTAssertEqual(ErrorReport(trailerType: "Probe.Failure", trailerBody: report.trailerValue), report)
        XCTAssertEqual(
            ErrorReport(trailerType: "Probe.Failure", trailerBody: "%%% not base64"),
            ErrorReport(errorType: "Probe.Failure", errorMessage: ""))
        XCTAssertNil(ErrorReport(trailerType: nil, trailerBody: report.trailerValue))
        XCTAssertEqual(try Base64.decode(report.trailerValue), report.body)
    }

    func testComputeEnvironmentIsReadAndRangeChecked() throws {
        XCTAssertEqual(try ComputeEnvironment(environment: .init([:])).memoryMB, 128)
        XCTAssertEqual(
            try ComputeEnvironment(environment: .init(["AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "1769"])).memoryMB, 1769)
        for bad in ["64", "10241", "1e3", "-128", "99999999999999999999"] {
            XCTAssertThrowsError(try ComputeEnvironment(environment: .init(["AWS_LAMBDA_FUNCTION_MEMORY_SIZE": bad]))) {
                XCTAssertEqual(($0 as? ConfigurationError)?.errorType, "Config.Invalid", bad)
            }
        }
        #if arch(x86_64)
            XCTAssertEqual(ComputeEnvironment.binaryArchitecture, "x86_64")
        #elseif arch(arm64)
            XCTAssertEqual(ComputeEnvironment.binaryArchitecture, "arm64")
        #endif
    }

    func testTheMarginIsConfiguredInOnePlace() throws {
        let base = ["AWS_LAMBDA_RUNTIME_API": "127.0.0.1:9001"]
        XCTAssertEqual(try RuntimeConfiguration(environment: .init(base)).deadlineMargin, .milliseconds(200))
        XCTAssertEqual(
            try RuntimeConfiguration(environment: .init(base.merging(["SWITCHYARD_DEADLINE_MARGIN_MS": "750"]) { $1 }))
                .deadlineMargin, .milliseconds(750))
        XCTAssertThrowsError(
            try RuntimeConfiguration(environment: .init(base.merging(["SWITCHYARD_DEADLINE_MARGIN_MS": "-1"]) { $1 })))
    }
}
