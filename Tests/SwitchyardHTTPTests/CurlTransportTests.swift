import XCTest

@testable import SwitchyardHTTP

final class CurlTransportTests: XCTestCase {
    nonisolated(unsafe) static var server: FakeProvidersServer!
    let transport = CurlTransport()

    override class func setUp() {
        server = try! FakeProvidersServer()
    }

    override class func tearDown() {
        server.stop()
    }

    var base: String { Self.server.baseURL }
    func deadline(_ ms: Int = 5000) -> ContinuousClock.Instant { .now.advanced(by: .milliseconds(ms)) }

    func openAIRequest(model: String, stream: Bool = false, key: String = "sk-fake-openai") -> HTTPRequest {
        let body =
            #"{"model":"\#(model)","stream":\#(stream),"stream_options":{"include_usage":true},"messages":[{"role":"user","content":"hello there"}]}"#
        return HTTPRequest(
            method: .post, url: base + "/v1/chat/completions",
            headers: ["Authorization": "Bearer \(key)", "Content-Type": "application/json"], body: Array(body.utf8))
    }

    func testGetReturnsStatusHeadersAndBody() async throws {
        let response = try await transport.send(HTTPRequest(url: base + "/health"), deadline: deadline())
        XCTAssertEqual(response.status, 200)
        XCTAssertEqual(response.headers["content-type"], "application/json")
        XCTAssertEqual(response.bodyText, #"{"status":"ok"}"#)
        XCTAssertNotNil(response.timeToFirstByte)
    }

    func testPostSendsBodyAndHeaders() async throws {
        let ok = try await transport.send(openAIRequest(model: "gpt-fake"), deadline: deadline())
        XCTAssertEqual(ok.status, 200)
        XCTAssertTrue(ok.bodyText.contains(#""object":"chat.completion""#))
        let unauthorized = try await transport.send(
            openAIRequest(model: "gpt-fake", key: "wrong"), deadline: deadline())
        XCTAssertEqual(unauthorized.status, 401)
        XCTAssertTrue(unauthorized.bodyText.contains("invalid_api_key"))
    }

    /// TCP connections the fake server has accepted so far (counted on the server side).
    func acceptedConnections() async throws -> Int {
        let response = try await transport.send(HTTPRequest(url: base + "/_fake/connections"), deadline: deadline())
        XCTAssertEqual(response.status, 200)
        let text = response.bodyText
        let digits = text.drop { !$0.isNumber }.prefix { $0.isNumber }
        return try XCTUnwrap(Int(digits), text)
    }

    /// Sequential calls go over one kept-alive connection: the server sees no new connections.
    /// (It used to check only the status codes, which a transport opening a connection per call
    /// also passes; the control below shows that the count does see such a transport.)
    func testRepeatedCallsReuseOneConnection() async throws {
        let before = try await acceptedConnections()
        for _ in 0..<50 {
            let response = try await transport.send(HTTPRequest(url: base + "/health"), deadline: deadline())
            XCTAssertEqual(response.status, 200)
        }
        let after = try await acceptedConnections()
        XCTAssertLessThanOrEqual(after - before, 1, "50 sequential calls opened \(after - before) connections")

        // Control: a fresh transport (and so a fresh handle) per call connects every time.
        let start = try await acceptedConnections()
        for _ in 0..<5 {
            let response = try await CurlTransport().send(HTTPRequest(url: base + "/health"), deadline: deadline())
            XCTAssertEqual(response.status, 200)
        }
        let end = try await acceptedConnections()
        XCTAssertGreaterThanOrEqual(end - start, 5, "the server-side count must see new connections")
    }

    final class Collector: HTTPStreamReceiver {
        var head: HTTPResponseHead?
        var bytes: [UInt8] = []
        var chunks = 0
        var bodyBeforeHead = false
        func receiveHead(_ head: HTTPResponseHead) { self.head = head }
        func receiveBody(_ chunk: UnsafeRawBufferPointer) -> Bool {
            if head == nil { bodyBeforeHead = true }
            bytes.append(contentsOf: chunk)
            chunks += 1
            return true
        }
    }

    func testStreamDeliversHeadThenChunks() async throws {
        let collector = Collector()
        let head = try await transport.stream(
            openAIRequest(model: "gpt-fake", stream: true), deadline: deadline(), into: collector)
        XCTAssertEqual(head.status, 200)
        XCTAssertEqual(collector.head?.headers["content-type"], "text/event-stream; charset=utf-8")
        XCTAssertFalse(collector.bodyBeforeHead)
        let text = String(decoding: collector.bytes, as: UTF8.self)
        XCTAssertTrue(text.hasSuffix("data: [DONE]\n\n"))
        XCTAssertGreaterThan(collector.chunks, 1)
    }

    func testBrokenChunkedStreamIsConnectionClosed() async throws {
        let collector = Collector()
        do {
            _ = try await transport.stream(
                openAIRequest(model: "gpt-fake?fault=drop", stream: true), deadline: deadline(), into: collector)
            XCTFail("a stream cut mid-chunk must fail")
        } catch {
            XCTAssertEqual(error.errorType, "HTTP.ConnectionClosed")
        }
    }

    func testResponseSizeCap() async throws {
        var request = HTTPRequest(url: base + "/health")
        request.maxResponseBytes = 5
        do {
            _ = try await transport.send(request, deadline: deadline())
            XCTFail("expected responseTooLarge")
        } catch {
            XCTAssertEqual(error, .responseTooLarge(limit: 5))
        }
    }

    func testDeadlineBoundsASlowServer() async throws {
        let start = ContinuousClock.now
        do {
            _ = try await transport.send(
                openAIRequest(model: "gpt-fake?fault=slow&delay_ms=1500"), deadline: deadline(200))
            XCTFail("expected a timeout")
        } catch {
            XCTAssertEqual(error.errorType, "HTTP.Timeout")
        }
        XCTAssertLessThan(ContinuousClock.now - start, .milliseconds(1000))
    }

    func testPassedDeadlineFailsWithoutSending() async throws {
        do {
            _ = try await transport.send(
                HTTPRequest(url: base + "/health"), deadline: .now.advanced(by: .milliseconds(-1)))
            XCTFail("expected a timeout")
        } catch {
            XCTAssertEqual(error, .timeout(milliseconds: 0))
        }
    }

    func testRefusedConnectionIsConnectFailed() async throws {
        do {
            _ = try await transport.send(HTTPRequest(url: "http://127.0.0.1:1/"), deadline: deadline())
            XCTFail("expected connectFailed")
        } catch {
            XCTAssertEqual(error.errorType, "HTTP.ConnectFailed")
        }
    }

    func testURLParts() throws {
        let url = try XCTUnwrap(HTTPURL("https://bedrock-runtime.us-east-1.amazonaws.com:443/model/a%3A0/converse?x=1"))
        XCTAssertEqual(url.host, "bedrock-runtime.us-east-1.amazonaws.com")
        XCTAssertEqual(url.hostHeader, "bedrock-runtime.us-east-1.amazonaws.com")
        XCTAssertEqual(url.path, "/model/a%3A0/converse")
        XCTAssertEqual(url.query, "x=1")
        XCTAssertEqual(HTTPURL("http://127.0.0.1:8080")?.hostHeader, "127.0.0.1:8080")
        XCTAssertEqual(HTTPURL("http://127.0.0.1:8080")?.path, "/")
        XCTAssertNil(HTTPURL("ftp://x/"))
        XCTAssertNil(HTTPURL("http://user@host/"))
    }
}

/// Header-block parsing, fed line by line as libcurl's header callback delivers it.
final class CurlTransferHeaderTests: XCTestCase {
    func feed(_ lines: [String], into transfer: CurlTransfer) {
        for line in lines {
            Array(line.utf8).withUnsafeBytes { transfer.receiveHeaderLine($0) }
        }
    }

    func testInterimResponsesAreSkippedAndValuesTrimmed() {
        var heads: [HTTPResponseHead] = []
        let transfer = CurlTransfer(limit: 1 << 20, onHead: { heads.append($0) })
        feed(
            [
                "HTTP/1.1 100 Continue\r\n", "\r\n", "HTTP/1.1 429 Too Many Requests\r\n", "Retry-After:  7 \r\n",
                "X-Empty:\r\n", "content-type: application/json\r\n", "\r\n",
            ], into: transfer)
        XCTAssertEqual(heads.count, 1)
        XCTAssertEqual(heads.first?.status, 429)
        XCTAssertEqual(heads.first?.headers["retry-after"], "7")
        XCTAssertEqual(heads.first?.headers["x-empty"], "")
        XCTAssertEqual(heads.first?.headers["Content-Type"], "application/json")
    }

    func testStatusLineForms() {
        for (line, code) in [
            ("HTTP/2 200", 200), ("HTTP/1.1 503 Service Unavailable", 503), ("HTTP/1.0 20", 0), ("HTTP/1.1 abc", 0),
        ] {
            let transfer = CurlTransfer(limit: 1)
            feed([line + "\r\n"], into: transfer)
            XCTAssertEqual(transfer.status, code, line)
        }
    }
}
