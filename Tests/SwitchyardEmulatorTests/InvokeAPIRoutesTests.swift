import NIOCore
import NIOHTTP1
import NIOPosix
import SwitchyardJSON
import XCTest

@testable import SwitchyardEmulator

/// The Invoke API's routing and Lambda's error answers, which need no running function.
final class InvokeAPIRoutesTests: XCTestCase {
    private let routes = InvokeAPIRoutes(pools: [
        "echo": FunctionPool(
            configuration: FunctionConfiguration(name: "echo", bootstrap: "/nonexistent"),
            group: MultiThreadedEventLoopGroup.singleton)
    ])

    private func call(_ method: HTTPMethod, _ path: String, _ body: String = "{}", headers: HTTPHeaders = [:])
        async -> ServerResponse
    {
        await routes.handle(ServerRequest(method: method, path: path, headers: headers, body: Array(body.utf8)))
    }

    private func errorType(_ response: ServerResponse) -> String? {
        response.headers.first { $0.0 == "x-amzn-ErrorType" }?.1
    }

    func testHealthListsTheFunctions() async throws {
        let response = await call(.GET, "/health")
        XCTAssertEqual(response.status, .ok)
        XCTAssertEqual(try JSON.parse(response.body)["functions"], ["echo"])
    }

    func testLambdasErrorsForBadRequests() async {
        for path in [
            "/2015-03-31/functions/echo/invocations", "/2021-11-15/functions/echo/response-streaming-invocations",
            "/stream/echo",
        ] {
            let missing = await call(.POST, path.replacingOccurrences(of: "echo", with: "nope"))
            XCTAssertEqual(missing.status, .notFound, path)
            XCTAssertEqual(errorType(missing), "ResourceNotFoundException", path)
            let invalid = await call(.POST, path, "{not json")
            XCTAssertEqual(invalid.status, .badRequest, path)
            XCTAssertEqual(errorType(invalid), "InvalidRequestContentException", path)
            let tooLarge = await routes.handle(ServerRequest(method: .POST, path: path, bodyTooLarge: true))
            XCTAssertEqual(tooLarge.status, .payloadTooLarge, path)
            XCTAssertEqual(errorType(tooLarge), "RequestEntityTooLargeException", path)
            let dryRun = await call(.POST, path, headers: ["X-Amz-Invocation-Type": "DryRun"])
            XCTAssertEqual(dryRun.status, .noContent, path)
            let unsupported = await call(.POST, path, headers: ["X-Amz-Invocation-Type": "Sometimes"])
            XCTAssertEqual(errorType(unsupported), "InvalidParameterValueException", path)
        }
        let unknown = await call(.GET, "/2015-03-31/functions/echo/configuration")
        XCTAssertEqual(errorType(unknown), "UnknownOperationException")
        let wrongMethod = await call(.GET, "/stream/echo")
        XCTAssertEqual(errorType(wrongMethod), "UnknownOperationException")
    }

    func testFunctionIdentifiers() {
        XCTAssertEqual(InvokeAPIRoutes.functionName(fromIdentifier: "echo"), "echo")
        XCTAssertEqual(InvokeAPIRoutes.functionName(fromIdentifier: "echo:$LATEST"), "echo")
        XCTAssertEqual(
            InvokeAPIRoutes.functionName(fromIdentifier: "arn:aws:lambda:us-east-1:000000000000:function:echo"), "echo")
    }

    func testAStartFailureIsAFunctionErrorNotACrash() async throws {
        let response = await call(.POST, "/2015-03-31/functions/echo/invocations")
        XCTAssertEqual(response.status, .ok)
        XCTAssertEqual(response.headers.first { $0.0 == "X-Amz-Function-Error" }?.1, "Unhandled")
        XCTAssertEqual(try JSON.parse(response.body)["errorType"], "Runtime.InvalidEntrypoint")
    }
}
