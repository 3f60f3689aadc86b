import Foundation
import NIOCore
import NIOPosix
import SwitchyardNIOHTTPClient
import SwitchyardTestSupport
import Synchronization
import XCTest

@testable import SwitchyardHTTP

/// What only `NIOHTTPTransport` decides (the shared contract is in `HTTPTransportScenarioTests`):
/// which kept-alive connection a request may use, when a request is sent again, how many idle
/// connections stay open and for how long, and which requests go to the fallback transport.
/// Against `ScriptedUpstream`, a server whose connections do what each test scripts.
final class NIOHTTPTransportTests: XCTestCase {
    var group: MultiThreadedEventLoopGroup!

    override func setUp() { group = MultiThreadedEventLoopGroup(numberOfThreads: 1) }
    override func tearDown() { try? group.syncShutdownGracefully() }

    func deadline(_ ms: Int = 5000) -> ContinuousClock.Instant { .now.advanced(by: .milliseconds(ms)) }

    func transport(
        _ configuration: NIOHTTPTransport.Configuration = .init(), fallback: any HTTPTransport = CurlTransport()
    ) throws -> NIOHTTPTransport {
        try NIOHTTPTransport(group: group, configuration: configuration, fallback: fallback)
    }

    func post(_ upstream: ScriptedUpstream, _ text: String) -> HTTPRequest {
        HTTPRequest(
            method: .post, url: upstream.baseURL + "/v1/chat/completions", headers: ["Content-Type": "text/plain"],
            body: Array(text.utf8))
    }

    /// A kept-alive connection the server closed while idle is not used again: the next calls
    /// connect afresh and succeed, each request sent once.
    func testConnectionClosedByTheServerWhileIdleIsNotReused() async throws {
        let upstream = try ScriptedUpstream { _ in .answerThenClose }
        defer { upstream.stop() }
        let transport = try transport()
        for i in 0..<3 {
            let response = try await transport.send(post(upstream, "call \(i)"), deadline: deadline())
            XCTAssertEqual(response.status, 200)
            XCTAssertEqual(response.bodyText, "call \(i)")
            try await Task.sleep(for: .milliseconds(100))  // the server's close reaches the client
        }
        XCTAssertEqual(upstream.accepted, 3)
        XCTAssertEqual(
            upstream.requests,
            [
                "POST /v1/chat/completions call 0", "POST /v1/chat/completions call 1",
                "POST /v1/chat/completions call 2",
            ])
    }

    /// The server takes a request on a kept-alive connection and closes it without answering (the
    /// keep-alive race, lost after the request was written): the call fails with
    /// `connectionClosed` and the request is not sent again, since it may have been received.
    func testARequestThatMayHaveBeenReceivedIsNeverSentAgain() async throws {
        let upstream = try ScriptedUpstream { index in index == 2 ? .closeWithoutAnswer : .answer }
        defer { upstream.stop() }
        let transport = try transport()
        let first = try await transport.send(post(upstream, "first"), deadline: deadline())
        XCTAssertEqual(first.bodyText, "first")
        do {
            _ = try await transport.send(post(upstream, "second"), deadline: deadline())
            XCTFail("expected connectionClosed")
        } catch {
            XCTAssertEqual(error.errorType, "HTTP.ConnectionClosed", "\(error)")
        }
        XCTAssertEqual(upstream.requests.filter { $0.hasSuffix("second") }.count, 1, "\(upstream.requests)")
        let third = try await transport.send(post(upstream, "third"), deadline: deadline())
        XCTAssertEqual(third.bodyText, "third")
        XCTAssertEqual(upstream.accepted, 2)
    }

    /// Past `maxIdlePerLoop` a finished call's connection is closed, and an idle one is closed
    /// after `idleTimeout` even when no call comes; the next call connects afresh.
    func testIdleConnectionsAreCappedAndStaleOnesClosed() async throws {
        let upstream = try ScriptedUpstream { _ in .answerAfter(milliseconds: 300) }
        defer { upstream.stop() }
        let transport = try transport(.init(maxIdlePerLoop: 1, idleTimeout: .milliseconds(500)))
        let requests = (0..<3).map { post(upstream, "call \($0)") }
        let until = deadline()
        try await withThrowingTaskGroup(of: Void.self) { group in
            for request in requests {
                group.addTask {
                    let response = try await transport.send(request, deadline: until)
                    XCTAssertEqual(response.status, 200)
                }
            }
            try await group.waitForAll()
        }
        XCTAssertEqual(upstream.accepted, 3, "three calls at once: three connections")
        try await Task.sleep(for: .milliseconds(150))
        XCTAssertEqual(upstream.closedByClient, 2, "one connection kept idle, two closed")
        try await Task.sleep(for: .milliseconds(700))
        XCTAssertEqual(upstream.closedByClient, 3, "the idle one closed after its timeout, with no call")
        let again = try await transport.send(post(upstream, "again"), deadline: deadline())
        XCTAssertEqual(again.bodyText, "again")
        XCTAssertEqual(upstream.accepted, 4)
    }

    /// `https://` and pinned requests go to the fallback (libcurl, OpenSSL); plain http does not.
    func testHTTPSAndPinnedRequestsGoToTheFallback() async throws {
        let upstream = try ScriptedUpstream { _ in .answer }
        defer { upstream.stop() }
        let fallback = RecordingTransport { _ in .success(HTTPResponse(status: 204)) }
        let transport = try transport(fallback: fallback)
        let tls = try await transport.send(HTTPRequest(url: "https://api.example.com/v1/models"), deadline: deadline())
        XCTAssertEqual(tls.status, 204)
        var pinned = post(upstream, "pinned")
        pinned.pinnedAddress = PinnedAddress(host: "127.0.0.1", port: upstream.port, address: "127.0.0.1")
        let pinnedAnswer = try await transport.send(pinned, deadline: deadline())
        XCTAssertEqual(pinnedAnswer.status, 204)
        let plain = try await transport.send(post(upstream, "plain"), deadline: deadline())
        XCTAssertEqual(plain.bodyText, "plain")
        XCTAssertEqual(fallback.sent.map(\.url), ["https://api.example.com/v1/models", pinned.url])
        XCTAssertEqual(upstream.requests, ["POST /v1/chat/completions plain"])
    }

    /// The request line and headers as they reach the server: Host with the port, the caller's
    /// fields, one Content-Length of the body's size (a caller's own is replaced).
    func testRequestHeadAsSent() async throws {
        let upstream = try ScriptedUpstream { _ in .answer }
        defer { upstream.stop() }
        let transport = try transport()
        var request = post(upstream, "abc")
        request.url += "?x=1"
        request.headers.add("Content-Length", "99")
        request.headers.add("Authorization", "Bearer k")
        _ = try await transport.send(request, deadline: deadline())
        let head = try XCTUnwrap(upstream.heads.first)
        XCTAssertTrue(head.hasPrefix("POST /v1/chat/completions?x=1 HTTP/1.1\r\n"), head)
        XCTAssertTrue(head.contains("\r\nHost: 127.0.0.1:\(upstream.port)\r\n"), head)
        XCTAssertTrue(head.contains("\r\nAuthorization: Bearer k\r\n"), head)
        XCTAssertTrue(head.contains("\r\nUser-Agent: switchyard/1.0\r\n"), head)
        XCTAssertEqual(head.components(separatedBy: "Content-Length").count - 1, 1, head)
        XCTAssertTrue(head.contains("\r\nContent-Length: 3\r\n"), head)
    }

    func testInvalidConfigurationIsRefused() {
        XCTAssertThrowsError(try transport(.init(idleTimeout: .zero)))
        XCTAssertThrowsError(try transport(.init(maxIdlePerLoop: -1)))
    }
}

/// A loopback HTTP/1.1 server whose every connection follows a script: for the n-th request on a
/// connection (from 1), answer (echoing the body), answer and close, close without answering, or
/// answer after a delay. Counts what a client cannot hide: connections accepted, connections the
/// client closed, and every whole request received.
final class ScriptedUpstream: @unchecked Sendable {
    enum Action: Sendable {
        case answer, answerThenClose, closeWithoutAnswer
        case answerAfter(milliseconds: Int64)
    }

    struct Counts {
        var accepted = 0
        var closedByClient = 0
        var requests: [String] = []
        var heads: [String] = []
    }

    /// Shared by the server's connections.
    final class State: Sendable {
        let counts = Mutex(Counts())
    }

    let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
    let state = State()
    private var channel: Channel!
    var port: Int { channel.localAddress!.port! }
    var baseURL: String { "http://127.0.0.1:\(port)" }
    var accepted: Int { state.counts.withLock { $0.accepted } }
    var closedByClient: Int { state.counts.withLock { $0.closedByClient } }
    var requests: [String] { state.counts.withLock { $0.requests } }
    var heads: [String] { state.counts.withLock { $0.heads } }

    init(script: @escaping @Sendable (Int) -> Action) throws {
        channel = try ServerBootstrap(group: group)
            .serverChannelOption(ChannelOptions.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { [state] channel in
                state.counts.withLock { $0.accepted += 1 }
                return channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(Connection(state: state, script: script))
                }
            }
            .bind(host: "127.0.0.1", port: 0).wait()
    }

    func stop() {
        try? channel.close().wait()
        try? group.syncShutdownGracefully()
    }

    final class Connection: ChannelInboundHandler {
        typealias InboundIn = ByteBuffer
        typealias OutboundOut = ByteBuffer
        let state: State
        let script: @Sendable (Int) -> Action
        var buffer = ByteBuffer()
        var index = 0
        var closedByServer = false

        init(state: State, script: @escaping @Sendable (Int) -> Action) {
            self.state = state
            self.script = script
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            var chunk = unwrapInboundIn(data)
            buffer.writeBuffer(&chunk)
            while let (head, body) = takeRequest() {
                index += 1
                let requestLine = head.prefix { $0 != "\r" }
                let line = requestLine.split(separator: " ").prefix(2).joined(separator: " ")
                state.counts.withLock {
                    $0.requests.append("\(line) \(body)")
                    $0.heads.append(head)
                }
                let response = "HTTP/1.1 200 OK\r\nContent-Length: \(body.utf8.count)\r\n\r\n\(body)"
                switch script(index) {
                case .answer:
                    context.writeAndFlush(wrapOutboundOut(ByteBuffer(string: response)), promise: nil)
                case .answerThenClose:
                    context.writeAndFlush(wrapOutboundOut(ByteBuffer(string: response)), promise: nil)
                    closedByServer = true
                    context.close(promise: nil)
                case .closeWithoutAnswer:
                    closedByServer = true
                    context.close(promise: nil)
                case .answerAfter(let ms):
                    let channel = context.channel
                    channel.eventLoop.scheduleTask(in: .milliseconds(ms)) {
                        channel.writeAndFlush(ByteBuffer(string: response), promise: nil)
                    }
                }
            }
        }

        func channelInactive(context: ChannelHandlerContext) {
            if !closedByServer { state.counts.withLock { $0.closedByClient += 1 } }
        }

        /// A whole request (head and Content-Length body) from the front of `buffer`.
        private func takeRequest() -> (head: String, body: String)? {
            let text = String(buffer: buffer)
            guard let end = text.range(of: "\r\n\r\n") else { return nil }
            let head = String(text[..<end.upperBound])
            var length = 0
            for line in head.components(separatedBy: "\r\n") where line.lowercased().hasPrefix("content-length:") {
                length = Int(line.dropFirst("content-length:".count).trimmingCharacters(in: .whitespaces)) ?? 0
            }
            let headBytes = head.utf8.count
            guard buffer.readableBytes >= headBytes + length else { return nil }
            buffer.moveReaderIndex(forwardBy: headBytes)
            let body = buffer.readString(length: length) ?? ""
            buffer.discardReadBytes()
            return (head, body)
        }
    }
}
