import NIOCore
import NIOPosix
import SwitchyardCurlMulti
import XCTest

@testable import SwitchyardHTTP

/// `CurlMultiTransport` against the fake providers: the easy transport's contract (same statuses,
/// bodies, errors, bounds), plus what only a transport that shares one event loop between
/// transfers must get right: many transfers at once, a slow one not holding up the others, and a
/// cancelled caller stopping its transfer.
final class CurlMultiTransportTests: XCTestCase {
    nonisolated(unsafe) static var server: FakeProvidersServer!
    /// One loop, so every transfer of a test shares one multi handle and one thread.
    nonisolated(unsafe) static var group: MultiThreadedEventLoopGroup!
    nonisolated(unsafe) static var transport: CurlMultiTransport!

    override class func setUp() {
        server = try! FakeProvidersServer()
        group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        transport = try! CurlMultiTransport(group: group)
    }

    override class func tearDown() {
        server.stop()
    }

    var transport: CurlMultiTransport { Self.transport }
    var base: String { Self.server.baseURL }
    func deadline(_ ms: Int = 5000) -> ContinuousClock.Instant { .now.advanced(by: .milliseconds(ms)) }

    func openAIRequest(model: String, prompt: String = "hello there", stream: Bool = false) -> HTTPRequest {
        let body =
            #"{"model":"\#(model)","stream":\#(stream),"stream_options":{"include_usage":true},"#
            + #""messages":[{"role":"user","content":"\#(prompt)"}]}"#
        return HTTPRequest(
            method: .post, url: base + "/v1/chat/completions",
            headers: ["Authorization": "Bearer sk-fake-openai", "Content-Type": "application/json"],
            body: Array(body.utf8))
    }

    func testGetAndPostAnswerAsTheEasyTransportDoes() async throws {
        let easy = CurlTransport()
        let health = try await transport.send(HTTPRequest(url: base + "/health"), deadline: deadline())
        let easyHealth = try await easy.send(HTTPRequest(url: base + "/health"), deadline: deadline())
        XCTAssertEqual(health.status, 200)
        XCTAssertEqual(health.bodyText, #"{"status":"ok"}"#)
        XCTAssertEqual(health.bodyText, easyHealth.bodyText)
        XCTAssertEqual(health.headers["content-type"], easyHealth.headers["content-type"])
        XCTAssertNotNil(health.timeToFirstByte)

        let chat = try await transport.send(openAIRequest(model: "gpt-fake", prompt: "one two"), deadline: deadline())
        XCTAssertEqual(chat.status, 200)
        XCTAssertTrue(chat.bodyText.contains(#""content":"Echo: one two""#), chat.bodyText)
    }

    /// Many transfers in flight on one loop at once, each answered after 1 s: each gets its own
    /// answer, and together they take about 1 s, not 48. (Started 10 ms apart: the fake's listen
    /// queue holds 5 connections, and a burst past it costs SYN retries of 1, 3 and 7 s.)
    func testManyConcurrentTransfersEachGetTheirOwnAnswer() async throws {
        let count = 48
        let transport = transport
        let requests = (0..<count).map {
            openAIRequest(model: "gpt-fake?fault=slow&delay_ms=1000", prompt: "call \($0)")
        }
        let until = deadline(20_000)
        let started = ContinuousClock.now
        let answers = try await withThrowingTaskGroup(of: (Int, HTTPResponse).self) { group in
            for i in 0..<count {
                group.addTask { (i, try await transport.send(requests[i], deadline: until)) }
                try await Task.sleep(for: .milliseconds(10))
            }
            var answers: [Int: HTTPResponse] = [:]
            for try await (i, response) in group { answers[i] = response }
            return answers
        }
        let elapsed = ContinuousClock.now - started
        XCTAssertEqual(answers.count, count)
        for (i, response) in answers {
            XCTAssertEqual(response.status, 200)
            XCTAssertTrue(
                response.bodyText.contains(#""content":"Echo: call \#(i)""#), "call \(i): \(response.bodyText)")
        }
        XCTAssertGreaterThanOrEqual(elapsed, .milliseconds(1000))
        XCTAssertLessThan(elapsed, .seconds(4), "48 transfers of 1 s each did not run at once")
    }

    /// A slow upstream does not hold up the loop: quick calls started after it finish long before it.
    func testSlowTransferDoesNotBlockTheLoop() async throws {
        let start = ContinuousClock.now
        let transport = transport
        let slowRequest = openAIRequest(model: "gpt-fake?fault=slow&delay_ms=1500")
        let until = deadline()
        async let slow = transport.send(slowRequest, deadline: until)
        try await Task.sleep(for: .milliseconds(100))
        for _ in 0..<5 {
            let quick = try await transport.send(HTTPRequest(url: base + "/health"), deadline: deadline())
            XCTAssertEqual(quick.status, 200)
        }
        let quickDone = ContinuousClock.now - start
        let slowAnswer = try await slow
        XCTAssertEqual(slowAnswer.status, 200)
        XCTAssertLessThan(quickDone, .milliseconds(1200), "quick calls waited for the slow one")
        XCTAssertGreaterThanOrEqual(ContinuousClock.now - start, .milliseconds(1500))
    }

    /// TCP connections the fake server has accepted so far.
    func acceptedConnections() async throws -> Int {
        let response = try await transport.send(HTTPRequest(url: base + "/_fake/connections"), deadline: deadline())
        let digits = response.bodyText.drop { !$0.isNumber }.prefix { $0.isNumber }
        return try XCTUnwrap(Int(digits), response.bodyText)
    }

    func testSequentialCallsReuseOneConnection() async throws {
        let before = try await acceptedConnections()
        for _ in 0..<50 {
            let response = try await transport.send(HTTPRequest(url: base + "/health"), deadline: deadline())
            XCTAssertEqual(response.status, 200)
        }
        let after = try await acceptedConnections()
        XCTAssertLessThanOrEqual(after - before, 1, "50 sequential calls opened \(after - before) connections")
    }

    /// Calls made on the loop itself (as the server makes them) start inline and resume there.
    func testCallsMadeOnTheLoopRunThere() async throws {
        let loop = Self.group.next()
        let executor = LoopExecutor(loop)
        let transport = transport
        let request = HTTPRequest(url: base + "/health")
        let until = deadline()
        let (status, onLoop) = try await withTaskExecutorPreference(executor) {
            let response = try await transport.send(request, deadline: until)
            return (response.status, loop.inEventLoop)
        }
        XCTAssertEqual(status, 200)
        XCTAssertTrue(onLoop)
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
        XCTAssertTrue(text.contains("Echo:"), text)
        XCTAssertTrue(text.hasSuffix("data: [DONE]\n\n"))
        XCTAssertGreaterThan(collector.chunks, 1)
    }

    /// A receiver that says stop ends the transfer with `aborted`, as with the easy transport.
    func testReceiverStopIsAborted() async throws {
        final class StopAtFirst: HTTPStreamReceiver {
            func receiveHead(_ head: HTTPResponseHead) {}
            func receiveBody(_ chunk: UnsafeRawBufferPointer) -> Bool { false }
        }
        do {
            _ = try await transport.stream(
                openAIRequest(model: "gpt-fake", stream: true), deadline: deadline(), into: StopAtFirst())
            XCTFail("expected aborted")
        } catch {
            XCTAssertEqual(error, .aborted)
        }
    }

    /// A caller that goes away (its task cancelled) stops its transfer at once, even while the
    /// upstream sends nothing; the loop goes on serving others.
    func testCancelledStreamStopsItsTransfer() async throws {
        let start = ContinuousClock.now
        let transport = transport
        let request = openAIRequest(model: "gpt-fake?fault=slow&delay_ms=3000", stream: true)
        let until = deadline()
        let call = Task { () -> TransportError? in
            do throws(TransportError) {
                _ = try await transport.stream(request, deadline: until, into: Collector())
                return nil
            } catch {
                return error
            }
        }
        try await Task.sleep(for: .milliseconds(200))
        call.cancel()
        let error = await call.value
        XCTAssertEqual(error, TransportError.aborted)
        XCTAssertLessThan(ContinuousClock.now - start, .milliseconds(2000), "the transfer ran on after the cancel")
        let after = try await transport.send(HTTPRequest(url: base + "/health"), deadline: deadline())
        XCTAssertEqual(after.status, 200)
    }

    /// The upstream closes the connection mid-body: a declared length not delivered, and a
    /// chunked stream cut inside a chunk. Both are `connectionClosed`, as with the easy transport.
    func testUpstreamClosingMidBodyIsConnectionClosed() async throws {
        do {
            _ = try await transport.send(openAIRequest(model: "gpt-fake?fault=cut"), deadline: deadline())
            XCTFail("a body shorter than its Content-Length must fail")
        } catch {
            XCTAssertEqual(error.errorType, "HTTP.ConnectionClosed")
        }
        let collector = Collector()
        do {
            _ = try await transport.stream(
                openAIRequest(model: "gpt-fake?fault=drop", stream: true), deadline: deadline(), into: collector)
            XCTFail("a stream cut mid-chunk must fail")
        } catch {
            XCTAssertEqual(error.errorType, "HTTP.ConnectionClosed")
        }
        XCTAssertGreaterThan(collector.chunks, 0, "the chunks before the cut are delivered")
        let after = try await transport.send(HTTPRequest(url: base + "/health"), deadline: deadline())
        XCTAssertEqual(after.status, 200)
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
        let elapsed = ContinuousClock.now - start
        XCTAssertGreaterThanOrEqual(elapsed, .milliseconds(190))
        XCTAssertLessThan(elapsed, .milliseconds(1000))
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

    func testRefusedConnectionAndBadURL() async throws {
        do {
            _ = try await transport.send(HTTPRequest(url: "http://127.0.0.1:1/"), deadline: deadline())
            XCTFail("expected connectFailed")
        } catch {
            XCTAssertEqual(error.errorType, "HTTP.ConnectFailed")
        }
        do {
            _ = try await transport.send(HTTPRequest(url: "ftp://127.0.0.1/"), deadline: deadline())
            XCTFail("expected invalidURL")
        } catch {
            XCTAssertEqual(error, .invalidURL("ftp://127.0.0.1/"))
        }
    }
}

/// Runs a task's jobs on one event loop, as the server's request tasks run.
private final class LoopExecutor: TaskExecutor, @unchecked Sendable {
    let loop: any EventLoop
    init(_ loop: any EventLoop) { self.loop = loop }
    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        loop.execute { job.runSynchronously(on: self.asUnownedTaskExecutor()) }
    }
}
