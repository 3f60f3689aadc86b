import NIOCore
import NIOHTTP1
import NIOPosix
import SwitchyardCore
import SwitchyardEmulator
import SwitchyardJSON
import Synchronization
import XCTest

@testable import SwitchyardRuntime

/// The socket client against a scripted Runtime API server on a real loopback socket.
final class SocketRuntimeAPIClientTests: XCTestCase {
    final class Recorder: Sendable {
        let requests = Mutex<[ServerRequest]>([])
        func add(_ r: ServerRequest) { requests.withLock { $0.append(r) } }
        var all: [ServerRequest] { requests.withLock { $0 } }
    }

    private func withServer(
        _ script: @escaping @Sendable (ServerRequest) async -> ServerResponse,
        _ body: (Int, Recorder) async throws -> Void
    ) async throws {
        try await withServer(script) { server, recorder in try await body(server.port, recorder) }
    }

    private func withServer(
        _ script: @escaping @Sendable (ServerRequest) async -> ServerResponse,
        _ body: (HTTPServer, Recorder) async throws -> Void
    ) async throws {
        let recorder = Recorder()
        let server = try await HTTPServer.start(
            host: "127.0.0.1", port: 0, group: MultiThreadedEventLoopGroup.singleton, maxBodyBytes: 8 << 20
        ) { request in
            recorder.add(request)
            return await script(request)
        }
        do {
            try await body(server, recorder)
        } catch {
            await server.close()
            throw error
        }
        await server.close()
    }

    private static let nextHeaders: [(String, String)] = [
        ("Lambda-Runtime-Aws-Request-Id", "req-1"),
        ("Lambda-Runtime-Deadline-Ms", "1764000000000"),
        ("Lambda-Runtime-Invoked-Function-Arn", "arn:aws:lambda:us-east-1:1:function:f"),
        ("Lambda-Runtime-Trace-Id", "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1"),
        ("Lambda-Runtime-Client-Context", #"{"custom":{"k":"v"}}"#),
    ]

    func testNextParsesEveryHeaderAndTheBody() async throws {
        try await withServer({ _ in
            ServerResponse(status: .ok, headers: Self.nextHeaders, body: Array(#"{"x":1}"#.utf8))
        }) { port, _ in
            var client = try SocketRuntimeAPIClient(endpoint: "127.0.0.1:\(port)")
            let invocation = try client.next()
            XCTAssertEqual(invocation.requestID, "req-1")
            XCTAssertEqual(invocation.deadlineMilliseconds, 1_764_000_000_000)
            XCTAssertEqual(invocation.invokedFunctionARN, "arn:aws:lambda:us-east-1:1:function:f")
            XCTAssertEqual(
                invocation.traceID, "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1")
            XCTAssertEqual(invocation.clientContext, #"{"custom":{"k":"v"}}"#)
            XCTAssertEqual(invocation.event, Array(#"{"x":1}"#.utf8))
        }
    }

    func testMissingRequestIDIsAnError() async throws {
        try await withServer({ _ in
            ServerResponse(status: .ok, headers: [("Lambda-Runtime-Deadline-Ms", "1")], body: [])
        }) { port, _ in
            var client = try SocketRuntimeAPIClient(endpoint: "127.0.0.1:\(port)")
            XCTAssertThrowsError(try client.next()) { error in
                XCTAssertEqual(error as? RuntimeAPIError, .missingHeader(RuntimeAPI.Header.requestID))
            }
        }
    }

    func testResponsesAndErrorsArePostedWhereLambdaExpectsThem() async throws {
        try await withServer({ _ in ServerResponse(status: .accepted, body: Array(#"{"status":"OK"}"#.utf8)) }) {
            port, recorder in
            var client = try SocketRuntimeAPIClient(endpoint: "localhost:\(port)")
            try client.respond(requestID: "r9", body: Array("[1,2]".utf8))
            try client.reportError(
                requestID: "r9", ErrorReport(errorType: "Vision.CorruptImage", errorMessage: "truncated JPEG"))
            try client.reportInitError(ErrorReport(errorType: "Config.Missing", errorMessage: "MONGODB_URI"))
            let requests = recorder.all
            XCTAssertEqual(
                requests.map(\.path),
                [
                    "/2018-06-01/runtime/invocation/r9/response", "/2018-06-01/runtime/invocation/r9/error",
                    "/2018-06-01/runtime/init/error",
                ])
            XCTAssertEqual(requests[0].body, Array("[1,2]".utf8))
            XCTAssertEqual(requests[1].headers.first(name: "Lambda-Runtime-Function-Error-Type"), "Vision.CorruptImage")
            let document = try JSON.parse(requests[1].body)
            XCTAssertEqual(document["errorType"], "Vision.CorruptImage")
            XCTAssertEqual(document["errorMessage"], "truncated JPEG")
            XCTAssertEqual(requests[2].headers.first(name: "Lambda-Runtime-Function-Error-Type"), "Config.Missing")
        }
    }

    func testOneConnectionIsReusedAcrossRequests() async throws {
        try await withServer({ _ in ServerResponse(status: .accepted) }) { (server: HTTPServer, recorder: Recorder) in
            var client = try SocketRuntimeAPIClient(endpoint: "127.0.0.1:\(server.port)")
            for i in 0..<50 { try client.respond(requestID: "r\(i)", body: Array("{}".utf8)) }
            XCTAssertEqual(recorder.all.count, 50)
            XCTAssertEqual(server.connectionsAccepted, 1, "one keep-alive connection for all requests")
        }
    }

    func testAConnectionClosedByTheServerIsReopened() async throws {
        try await withServer({ request in
            // "Connection: close" after every answer forces a reconnect for the next request.
            ServerResponse(status: .accepted, headers: [("Connection", "close")])
        }) { (server: HTTPServer, recorder: Recorder) in
            var client = try SocketRuntimeAPIClient(endpoint: "127.0.0.1:\(server.port)")
            for i in 0..<5 { try client.respond(requestID: "r\(i)", body: Array("{}".utf8)) }
            XCTAssertEqual(recorder.all.count, 5)
            XCTAssertEqual(server.connectionsAccepted, 5)
        }
    }

    func testPayloadTooLargeIsReported() async throws {
        try await withServer({ _ in
            ServerResponse(status: .payloadTooLarge, body: Array(#"{"errorType":"RequestEntityTooLarge"}"#.utf8))
        }) { port, _ in
            var client = try SocketRuntimeAPIClient(endpoint: "127.0.0.1:\(port)")
            XCTAssertThrowsError(try client.respond(requestID: "r", body: Array("{}".utf8))) { error in
                XCTAssertEqual(error as? RuntimeAPIError, .payloadTooLarge)
            }
        }
    }

    func testLargeBodiesArriveIntact() async throws {
        let event = (0..<3_000_000).map { UInt8(truncatingIfNeeded: $0 &* 31) }
        try await withServer({ request in
            if request.method == .GET { return ServerResponse(status: .ok, headers: Self.nextHeaders, body: event) }
            return ServerResponse(status: request.body == event ? .accepted : .badRequest)
        }) { port, _ in
            var client = try SocketRuntimeAPIClient(endpoint: "127.0.0.1:\(port)")
            let invocation = try client.next()
            XCTAssertEqual(invocation.event, event)
            try client.respond(requestID: invocation.requestID, body: invocation.event)
        }
    }

    func testUnreachableEndpointFailsFast() {
        XCTAssertThrowsError(
            try {
                var c = try SocketRuntimeAPIClient(endpoint: "127.0.0.1:1")
                _ = try c.next()
            }()
        ) { error in
            guard case .connectFailed = error as? RuntimeAPIError else { return XCTFail("\(error)") }
        }
        XCTAssertThrowsError(try SocketRuntimeAPIClient(endpoint: "no-port")) { error in
            XCTAssertEqual(error as? RuntimeAPIError, .invalidEndpoint("no-port"))
        }
    }

    // MARK: - Streamed responses

    final class Parts: Sendable {
        let parts = Mutex<[RequestBodyPart]>([])
        let headers = Mutex<HTTPHeaders?>(nil)
    }

    private func withStreamingServer(
        closeAfterFirstChunk: Bool = false, _ body: (Int, Parts) async throws -> Void
    ) async throws {
        let parts = Parts()
        let server = try await HTTPServer.start(
            host: "127.0.0.1", port: 0, group: MultiThreadedEventLoopGroup.singleton, maxBodyBytes: 1 << 20,
            streamsRequestBody: { $0.headers.first(name: "Lambda-Runtime-Function-Response-Mode") == "streaming" }
        ) { request in
            parts.headers.withLock { $0 = request.headers }
            guard let stream = request.bodyStream else { return ServerResponse(status: .accepted) }
            for await part in stream {
                parts.parts.withLock { $0.append(part) }
                if closeAfterFirstChunk, case .bytes = part {
                    request.connection.close()
                    return ServerResponse(status: .accepted)
                }
            }
            return ServerResponse(status: .accepted)
        }
        do {
            try await body(server.port, parts)
        } catch {
            await server.close()
            throw error
        }
        await server.close()
    }

    func testAStreamedResponseIsSentInChunksWithItsErrorTrailers() async throws {
        try await withStreamingServer { port, parts in
            var client = try SocketRuntimeAPIClient(endpoint: "127.0.0.1:\(port)")
            try client.startStream(requestID: "s1", contentType: "text/event-stream")
            try client.writeStream(Array("first ".utf8))
            try client.writeStream(Array(repeating: 0x61, count: 100_000))
            try client.finishStream(error: ErrorReport(errorType: "Probe.Failure", errorMessage: "mid-stream"))
            let headers = try XCTUnwrap(parts.headers.withLock { $0 })
            XCTAssertEqual(headers.first(name: "content-type"), "text/event-stream")
            XCTAssertEqual(headers.first(name: "transfer-encoding"), "chunked")
            XCTAssertEqual(
                headers.first(name: "trailer"), "Lambda-Runtime-Function-Error-Type, Lambda-Runtime-Function-Error-Body"
            )
            var bytes: [UInt8] = []
            var trailers: HTTPHeaders?
            for part in parts.parts.withLock({ $0 }) {
                switch part {
                case .bytes(let chunk): bytes += chunk
                case .end(let t): trailers = t
                case .aborted: XCTFail("aborted")
                }
            }
            XCTAssertEqual(bytes, Array("first ".utf8) + Array(repeating: 0x61, count: 100_000))
            XCTAssertEqual(trailers?.first(name: "Lambda-Runtime-Function-Error-Type"), "Probe.Failure")
            let document = try Base64.decode(try XCTUnwrap(trailers?.first(name: "Lambda-Runtime-Function-Error-Body")))
            XCTAssertEqual(document, ErrorReport(errorType: "Probe.Failure", errorMessage: "mid-stream").body)
            // The connection is closed after a streamed response; the next call reconnects.
            try client.respond(requestID: "r2", body: Array("{}".utf8))
        }
    }

    func testAStreamTheServerCutsOffFailsTheNextWriteAsStreamClosed() async throws {
        try await withStreamingServer(closeAfterFirstChunk: true) { port, _ in
            var client = try SocketRuntimeAPIClient(endpoint: "127.0.0.1:\(port)")
            try client.startStream(requestID: "s1", contentType: "text/plain")
            try client.writeStream(Array("one".utf8))
            var failure: RuntimeAPIError?
            for _ in 0..<50 where failure == nil {
                do {
                    try await Task.sleep(for: .milliseconds(20))
                    try client.writeStream(Array("more".utf8))
                } catch let error as RuntimeAPIError {
                    failure = error
                }
            }
            XCTAssertEqual(failure, .streamClosed)
        }
    }
}
