import NIOCore
import NIOPosix
import SwitchyardCurlMulti
import SwitchyardNIOHTTPClient
import Synchronization
import XCTest

@testable import SwitchyardHTTP

/// The `HTTPTransport` contract, one copy of each scenario run against every transport: libcurl's
/// easy interface (`CurlTransport`), its multi interface on an event loop (`CurlMultiTransport`) and
/// NIO's channels (`NIOHTTPTransport`), all against the same fake providers. A failure names the
/// transport. The scenarios that only a transport sharing one event loop between calls must get
/// right (many at once, a slow one not holding up others, a cancelled caller) run over the two
/// loop transports.
final class HTTPTransportScenarioTests: XCTestCase {
    nonisolated(unsafe) static var server: FakeProvidersServer!
    /// One loop, so every call of a test shares one multi handle / one connection pool and one thread.
    nonisolated(unsafe) static var group: MultiThreadedEventLoopGroup!
    nonisolated(unsafe) static var transports: [(name: String, transport: any HTTPTransport)] = []
    /// Counts the fake's accepted connections over a connection of its own.
    nonisolated(unsafe) static var counter: CurlTransport!

    override class func setUp() {
        server = try! FakeProvidersServer()
        group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let multi = try! CurlMultiTransport(group: group)
        transports = [
            ("easy", CurlTransport()), ("multi", multi),
            ("nio", try! NIOHTTPTransport(group: group, fallback: multi)),
        ]
        counter = CurlTransport()
    }

    override class func tearDown() {
        server.stop()
    }

    var base: String { Self.server.baseURL }
    func deadline(_ ms: Int = 5000) -> ContinuousClock.Instant { .now.advanced(by: .milliseconds(ms)) }
    var loopTransports: [(name: String, transport: any HTTPTransport)] { Self.transports.filter { $0.name != "easy" } }

    func openAIRequest(
        model: String, prompt: String = "hello there", stream: Bool = false, key: String = "sk-fake-openai"
    ) -> HTTPRequest {
        let body =
            #"{"model":"\#(model)","stream":\#(stream),"stream_options":{"include_usage":true},"#
            + #""messages":[{"role":"user","content":"\#(prompt)"}]}"#
        return HTTPRequest(
            method: .post, url: base + "/v1/chat/completions",
            headers: ["Authorization": "Bearer \(key)", "Content-Type": "application/json"], body: Array(body.utf8))
    }

    /// TCP connections the fake server has accepted so far (counted on the server side).
    func acceptedConnections() async throws -> Int {
        let response = try await Self.counter.send(
            HTTPRequest(url: base + "/_fake/connections"), deadline: deadline())
        let digits = response.bodyText.drop { !$0.isNumber }.prefix { $0.isNumber }
        return try XCTUnwrap(Int(digits), response.bodyText)
    }

    // MARK: - Every transport

    func testGetReturnsStatusHeadersAndBody() async throws {
        for (name, transport) in Self.transports {
            let response = try await transport.send(HTTPRequest(url: base + "/health"), deadline: deadline())
            XCTAssertEqual(response.status, 200, name)
            XCTAssertEqual(response.headers["content-type"], "application/json", name)
            XCTAssertEqual(response.bodyText, #"{"status":"ok"}"#, name)
            XCTAssertNotNil(response.timeToFirstByte, name)
        }
    }

    func testPostSendsBodyAndHeaders() async throws {
        for (name, transport) in Self.transports {
            let ok = try await transport.send(openAIRequest(model: "gpt-fake", prompt: "one two"), deadline: deadline())
            XCTAssertEqual(ok.status, 200, name)
            XCTAssertTrue(ok.bodyText.contains(#""object":"chat.completion""#), "\(name): \(ok.bodyText)")
            XCTAssertTrue(ok.bodyText.contains(#""content":"Echo: one two""#), "\(name): \(ok.bodyText)")
            let unauthorized = try await transport.send(
                openAIRequest(model: "gpt-fake", key: "wrong"), deadline: deadline())
            XCTAssertEqual(unauthorized.status, 401, name)
            XCTAssertTrue(unauthorized.bodyText.contains("invalid_api_key"), name)
        }
    }

    /// Sequential calls go over one kept-alive connection: the server sees at most one new one.
    func testSequentialCallsReuseOneConnection() async throws {
        for (name, transport) in Self.transports {
            let before = try await acceptedConnections()
            for _ in 0..<50 {
                let response = try await transport.send(HTTPRequest(url: base + "/health"), deadline: deadline())
                XCTAssertEqual(response.status, 200, name)
            }
            let after = try await acceptedConnections()
            XCTAssertLessThanOrEqual(after - before, 1, "\(name): 50 sequential calls opened \(after - before)")
        }
        // Control: a fresh transport (and so a fresh handle) per call connects every time, and the
        // server-side count sees it.
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
        for (name, transport) in Self.transports {
            let collector = Collector()
            let head = try await transport.stream(
                openAIRequest(model: "gpt-fake", stream: true), deadline: deadline(), into: collector)
            XCTAssertEqual(head.status, 200, name)
            XCTAssertEqual(collector.head?.headers["content-type"], "text/event-stream; charset=utf-8", name)
            XCTAssertFalse(collector.bodyBeforeHead, name)
            let text = String(decoding: collector.bytes, as: UTF8.self)
            XCTAssertTrue(text.contains("Echo:"), "\(name): \(text)")
            XCTAssertTrue(text.hasSuffix("data: [DONE]\n\n"), name)
            XCTAssertGreaterThan(collector.chunks, 1, name)
        }
    }

    /// A receiver that says stop ends the transfer with `aborted`.
    func testReceiverStopIsAborted() async throws {
        final class StopAtFirst: HTTPStreamReceiver {
            func receiveHead(_ head: HTTPResponseHead) {}
            func receiveBody(_ chunk: UnsafeRawBufferPointer) -> Bool { false }
        }
        for (name, transport) in Self.transports {
            do {
                _ = try await transport.stream(
                    openAIRequest(model: "gpt-fake", stream: true), deadline: deadline(), into: StopAtFirst())
                XCTFail("\(name): expected aborted")
            } catch {
                XCTAssertEqual(error, .aborted, name)
            }
            let after = try await transport.send(HTTPRequest(url: base + "/health"), deadline: deadline())
            XCTAssertEqual(after.status, 200, name)
        }
    }

    /// The upstream closes the connection mid-body: a declared length not delivered, and a chunked
    /// stream cut inside a chunk. Both are `connectionClosed`; the chunks before the cut are delivered.
    func testUpstreamClosingMidBodyIsConnectionClosed() async throws {
        for (name, transport) in Self.transports {
            do {
                _ = try await transport.send(openAIRequest(model: "gpt-fake?fault=cut"), deadline: deadline())
                XCTFail("\(name): a body shorter than its Content-Length must fail")
            } catch {
                XCTAssertEqual(error.errorType, "HTTP.ConnectionClosed", "\(name): \(error)")
            }
            let collector = Collector()
            do {
                _ = try await transport.stream(
                    openAIRequest(model: "gpt-fake?fault=drop", stream: true), deadline: deadline(), into: collector)
                XCTFail("\(name): a stream cut mid-chunk must fail")
            } catch {
                XCTAssertEqual(error.errorType, "HTTP.ConnectionClosed", "\(name): \(error)")
            }
            XCTAssertGreaterThan(collector.chunks, 0, "\(name): the chunks before the cut are delivered")
            let after = try await transport.send(HTTPRequest(url: base + "/health"), deadline: deadline())
            XCTAssertEqual(after.status, 200, name)
        }
    }

    func testDeadlineBoundsASlowServer() async throws {
        for (name, transport) in Self.transports {
            let start = ContinuousClock.now
            do {
                _ = try await transport.send(
                    openAIRequest(model: "gpt-fake?fault=slow&delay_ms=1500"), deadline: deadline(200))
                XCTFail("\(name): expected a timeout")
            } catch {
                XCTAssertEqual(error.errorType, "HTTP.Timeout", "\(name): \(error)")
            }
            let elapsed = ContinuousClock.now - start
            XCTAssertGreaterThanOrEqual(elapsed, .milliseconds(190), name)
            XCTAssertLessThan(elapsed, .milliseconds(1000), name)
        }
    }

    func testPassedDeadlineFailsWithoutSending() async throws {
        for (name, transport) in Self.transports {
            do {
                _ = try await transport.send(
                    HTTPRequest(url: base + "/health"), deadline: .now.advanced(by: .milliseconds(-1)))
                XCTFail("\(name): expected a timeout")
            } catch {
                XCTAssertEqual(error, .timeout(milliseconds: 0), name)
            }
        }
    }

    func testResponseSizeCap() async throws {
        for (name, transport) in Self.transports {
            var request = HTTPRequest(url: base + "/health")
            request.maxResponseBytes = 5
            do {
                _ = try await transport.send(request, deadline: deadline())
                XCTFail("\(name): expected responseTooLarge")
            } catch {
                XCTAssertEqual(error, .responseTooLarge(limit: 5), name)
            }
            request.maxResponseBytes = 15  // exactly the body's length: accepted
            let exact = try await transport.send(request, deadline: deadline())
            XCTAssertEqual(exact.bodyText, #"{"status":"ok"}"#, name)
        }
    }

    func testRefusedConnectionAndBadURL() async throws {
        for (name, transport) in Self.transports {
            do {
                _ = try await transport.send(HTTPRequest(url: "http://127.0.0.1:1/"), deadline: deadline())
                XCTFail("\(name): expected connectFailed")
            } catch {
                XCTAssertEqual(error.errorType, "HTTP.ConnectFailed", "\(name): \(error)")
            }
            do {
                _ = try await transport.send(HTTPRequest(url: "ftp://127.0.0.1/"), deadline: deadline())
                XCTFail("\(name): expected invalidURL")
            } catch {
                XCTAssertEqual(error, .invalidURL("ftp://127.0.0.1/"), name)
            }
        }
    }

    // MARK: - The transports on an event loop

    /// Many calls in flight on one loop at once, each answered after 1 s: each gets its own answer,
    /// and together they take about 1 s, not 48. (Started 10 ms apart: the fake's listen queue holds
    /// 5 connections, and a burst past it costs SYN retries of 1, 3 and 7 s.)
    func testManyConcurrentCallsEachGetTheirOwnAnswer() async throws {
        for (name, transport) in loopTransports {
            let count = 48
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
            XCTAssertEqual(answers.count, count, name)
            for (i, response) in answers {
                XCTAssertEqual(response.status, 200, name)
                XCTAssertTrue(
                    response.bodyText.contains(#""content":"Echo: call \#(i)""#),
                    "\(name) call \(i): \(response.bodyText)")
            }
            XCTAssertGreaterThanOrEqual(elapsed, .milliseconds(1000), name)
            XCTAssertLessThan(elapsed, .seconds(4), "\(name): 48 calls of 1 s each did not run at once")
        }
    }

    /// A slow upstream does not hold up the loop: quick calls started after it finish long before it.
    func testSlowCallDoesNotBlockTheLoop() async throws {
        for (name, transport) in loopTransports {
            let start = ContinuousClock.now
            let slowRequest = openAIRequest(model: "gpt-fake?fault=slow&delay_ms=1500")
            let until = deadline()
            async let slow = transport.send(slowRequest, deadline: until)
            try await Task.sleep(for: .milliseconds(100))
            for _ in 0..<5 {
                let quick = try await transport.send(HTTPRequest(url: base + "/health"), deadline: deadline())
                XCTAssertEqual(quick.status, 200, name)
            }
            let quickDone = ContinuousClock.now - start
            let slowAnswer = try await slow
            XCTAssertEqual(slowAnswer.status, 200, name)
            XCTAssertLessThan(quickDone, .milliseconds(1200), "\(name): quick calls waited for the slow one")
            XCTAssertGreaterThanOrEqual(ContinuousClock.now - start, .milliseconds(1500), name)
        }
    }

    /// Calls made on the loop itself (as the server makes them) start inline and resume there.
    func testCallsMadeOnTheLoopRunThere() async throws {
        let loop = Self.group.next()
        let executor = LoopExecutor(loop)
        for (name, transport) in loopTransports {
            let request = HTTPRequest(url: base + "/health")
            let until = deadline()
            let (status, onLoop) = try await withTaskExecutorPreference(executor) {
                let response = try await transport.send(request, deadline: until)
                return (response.status, loop.inEventLoop)
            }
            XCTAssertEqual(status, 200, name)
            XCTAssertTrue(onLoop, name)
        }
    }

    /// A caller that goes away (its task cancelled) stops its call at once, even while the upstream
    /// sends nothing; the loop goes on serving others.
    func testCancelledStreamStopsItsCall() async throws {
        for (name, transport) in loopTransports {
            let start = ContinuousClock.now
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
            XCTAssertEqual(error, TransportError.aborted, name)
            XCTAssertLessThan(
                ContinuousClock.now - start, .milliseconds(2000), "\(name): the call ran on after the cancel")
            let after = try await transport.send(HTTPRequest(url: base + "/health"), deadline: deadline())
            XCTAssertEqual(after.status, 200, name)
        }
    }

    /// A task cancelled before its call starts (off the loop, so the cancel and the start race to
    /// the loop) ends with `aborted`, sends nothing and does not hang.
    func testCallCancelledBeforeItStartsIsAborted() async throws {
        for (name, transport) in loopTransports {
            let request = openAIRequest(model: "gpt-fake", stream: true)
            for _ in 0..<20 {
                let until = deadline()
                let outcome = Outcome()
                _ = Task {
                    withUnsafeCurrentTask { $0?.cancel() }
                    do throws(TransportError) {
                        _ = try await transport.stream(request, deadline: until, into: Collector())
                        outcome.value.withLock { $0 = .some(nil) }
                    } catch {
                        outcome.value.withLock { $0 = .some(error) }
                    }
                }
                // Polled, not awaited: a call that never resumes must fail the test, not hang it.
                var waited = 0
                while outcome.value.withLock({ $0 }) == nil, waited < 500 {
                    try await Task.sleep(for: .milliseconds(10))
                    waited += 1
                }
                XCTAssertEqual(
                    outcome.value.withLock { $0 }, .some(.aborted), "\(name): the cancelled call did not end")
            }
        }
    }
}

/// A call's end as seen from outside its task: nil until it ends, then its error or nil.
final class Outcome: Sendable {
    let value = Mutex<TransportError??>(nil)
}

/// Runs a task's jobs on one event loop, as the server's request tasks run.
final class LoopExecutor: TaskExecutor, @unchecked Sendable {
    let loop: any EventLoop
    init(_ loop: any EventLoop) { self.loop = loop }
    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        loop.execute { job.runSynchronously(on: self.asUnownedTaskExecutor()) }
    }
}
