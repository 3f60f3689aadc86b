import SwitchyardContract
import SwitchyardHTTP
import SwitchyardJSON
import SwitchyardProviders
import Synchronization
import XCTest

final class LLMCallerTests: XCTestCase {
    let request = ChatRequest(messages: [ChatMessage(role: .user, text: "Hello")])
    let fast = RetryPolicy(
        maxAttemptsPerModel: 2, baseDelay: .milliseconds(1), maxDelay: .milliseconds(2),
        minimumAttemptTime: .milliseconds(10))

    func candidate(_ kind: ProviderID, _ model: String, window: Int? = nil, reserve: Int = 0) -> CallCandidate {
        CallCandidate(
            model: ModelID(model),
            target: ModelTarget(provider: kind, model: model, baseURL: "http://\(kind.rawValue).test", apiKey: "k"),
            contextWindow: window, reservedOutputTokens: reserve)
    }

    func caller(_ transport: ScriptedTransport, cooldowns: CooldownTracker = CooldownTracker()) -> LLMCaller {
        LLMCaller(
            client: ProviderClient(transport: transport), codecs: CodecRegistry(), retry: fast, cooldowns: cooldowns)
    }

    static let openAIOK = HTTPResponse(
        status: 200, headers: ["x-request-id": "req_1"], body: Fixture.bytes("openai_chat_completion.json"))
    static func error(_ status: Int, _ body: String, headers: HTTPHeaders = [:]) -> ScriptedTransport.Reply {
        .response(HTTPResponse(status: status, headers: headers, body: Array(body.utf8)))
    }
    static let overloaded = error(529, #"{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}"#)
    static let serverError = error(500, #"{"error":{"message":"boom","type":"server_error"}}"#)

    func deadline(_ seconds: Int = 5) -> ContinuousClock.Instant { .now.advanced(by: .seconds(seconds)) }

    func testRetryThenSucceedRecordsBothAttempts() async {
        let transport = ScriptedTransport([Self.serverError, .response(Self.openAIOK)])
        let outcome = await caller(transport).call(
            request, candidates: [candidate(.openAI, "gpt")], deadline: deadline())
        XCTAssertEqual(outcome.response?.usage.input, 1117)
        XCTAssertEqual(outcome.attempts.map(\.outcomeName), ["Provider.UpstreamError", "ok"])
        XCTAssertNil(outcome.attempts[0].usage, "a 500 is not billed")
        XCTAssertEqual(outcome.attempts[1].usage, outcome.response?.usage)
        XCTAssertEqual(transport.sent.count, 2)
    }

    func testFallbackAfterRetriesAreExhausted() async {
        let transport = ScriptedTransport([Self.overloaded, Self.overloaded, .response(Self.openAIOK)])
        let outcome = await caller(transport).call(
            request, candidates: [candidate(.anthropic, "claude"), candidate(.openAI, "gpt")], deadline: deadline())
        XCTAssertEqual(outcome.answeredBy, 1)
        XCTAssertEqual(outcome.attempts.map(\.model), ["claude", "claude", "gpt"])
        XCTAssertEqual(outcome.attempts.map(\.httpStatus), [529, 529, 200])
        XCTAssertEqual(
            transport.sent.map(\.url),
            [
                "http://anthropic.test/v1/messages", "http://anthropic.test/v1/messages",
                "http://openai.test/v1/chat/completions",
            ])
    }

    func testInvalidRequestStopsWithoutFallback() async {
        let transport = ScriptedTransport([
            Self.error(400, #"{"error":{"message":"bad","type":"invalid_request_error"}}"#), .response(Self.openAIOK),
        ])
        let outcome = await caller(transport).call(
            request, candidates: [candidate(.openAI, "a"), candidate(.openAI, "b")], deadline: deadline())
        // A 400 the provider rejects is not retried on the same model but may fall back.
        XCTAssertEqual(outcome.attempts.map(\.outcomeName), ["Provider.RequestRejected", "ok"])
    }

    func testTruncatedStreamIsAFailureWithPartialUsageThenFallback() async {
        let sse = Fixture.bytes("anthropic_stream.sse")
        let cut = Array(
            String(decoding: sse, as: UTF8.self).components(separatedBy: "event: content_block_stop")[0].utf8)
        let transport = ScriptedTransport([
            .stream(status: 200, headers: ["content-type": "text/event-stream"], chunks: [cut], thenError: nil),
            .stream(
                status: 200, headers: ["content-type": "text/event-stream"], chunks: [cut],
                thenError: .connectionClosed("reset")),
            .stream(
                status: 200, headers: ["content-type": "text/event-stream"],
                chunks: [Fixture.bytes("openai_stream.sse")], thenError: nil),
        ])
        var streamed = request
        streamed.stream = true
        let outcome = await caller(transport).call(
            streamed, candidates: [candidate(.anthropic, "claude"), candidate(.openAI, "gpt")], deadline: deadline())
        XCTAssertEqual(outcome.attempts.map(\.outcomeName), ["Provider.Truncated", "Provider.Truncated", "ok"])
        // Input was reported in message_start; output is at least what arrived, marked estimated.
        let partial = try! XCTUnwrap(outcome.attempts[0].usage)
        XCTAssertEqual(partial.input, 135)
        XCTAssertEqual(partial.cached, 100)
        XCTAssertTrue(partial.estimated)
        XCTAssertEqual(outcome.response?.text, "Hello, world")
        XCTAssertEqual(outcome.response?.usage, UsageRecord.Tokens(input: 19, output: 10, reasoning: 7))
        XCTAssertNotNil(outcome.response?.timeToFirstToken)
    }

    func testStreamEndingWithDoneButNoBlankLineIsComplete() async {
        var sse = String(decoding: Fixture.bytes("openai_stream.sse"), as: UTF8.self)
        sse.removeLast()  // "data: [DONE]\n" — the final blank line never comes
        let transport = ScriptedTransport([
            .stream(
                status: 200, headers: ["content-type": "text/event-stream"], chunks: [Array(sse.utf8)], thenError: nil)
        ])
        var streamed = request
        streamed.stream = true
        let outcome = await caller(transport).call(
            streamed, candidates: [candidate(.openAI, "gpt")], deadline: deadline())
        XCTAssertEqual(outcome.attempts.map(\.outcomeName), ["ok"])
    }

    func testContextWindowRefusedBeforeAnyCall() async {
        let transport = ScriptedTransport([.response(Self.openAIOK)])
        let long = ChatRequest(messages: [ChatMessage(role: .user, text: String(repeating: "word ", count: 4000))])
        let outcome = await caller(transport).call(
            long, candidates: [candidate(.openAI, "small", window: 1000)], deadline: deadline())
        XCTAssertEqual(outcome.error?.errorType, "LLM.ContextWindowExceeded")
        XCTAssertEqual(transport.sent.count, 0)
        XCTAssertEqual(outcome.attempts.map(\.sent), [false])
        // A larger-window fallback is used instead.
        let fallback = await caller(ScriptedTransport([.response(Self.openAIOK)])).call(
            long, candidates: [candidate(.openAI, "small", window: 1000), candidate(.openAI, "big", window: 128_000)],
            deadline: deadline())
        XCTAssertEqual(fallback.answeredBy, 1)
    }

    func testCoolingProviderIsSkippedUnlessAllAreCooling() async {
        let cooldowns = CooldownTracker(failureThreshold: 1, cooldown: .seconds(60))
        let first = candidate(.anthropic, "claude")
        cooldowns.recordFailure(
            endpoint: first.target.endpointKey, model: "claude",
            error: .upstream(provider: .anthropic, status: 529, message: ""))
        let transport = ScriptedTransport([.response(Self.openAIOK)])
        let outcome = await caller(transport, cooldowns: cooldowns).call(
            request, candidates: [first, candidate(.openAI, "gpt")], deadline: deadline())
        XCTAssertEqual(outcome.attempts.map(\.outcomeName), ["Provider.CoolingDown", "ok"])
        XCTAssertEqual(transport.sent.count, 1)
        let alone = await caller(
            ScriptedTransport([.response(HTTPResponse(status: 200, body: Fixture.bytes("anthropic_message.json")))]),
            cooldowns: cooldowns
        )
        .call(request, candidates: [first], deadline: deadline())
        XCTAssertEqual(alone.attempts.map(\.outcomeName), ["ok"])
    }

    func testRetryAfterBeyondTheDeadlineFallsBackInsteadOfWaiting() async {
        let limited = Self.error(
            429, #"{"error":{"message":"slow down","code":"rate_limit_exceeded"}}"#, headers: ["retry-after": "3"])
        let transport = ScriptedTransport([limited, .response(Self.openAIOK)])
        let start = ContinuousClock.now
        let outcome = await caller(transport).call(
            request, candidates: [candidate(.openAI, "a"), candidate(.openAI, "b")], deadline: deadline(2))
        XCTAssertLessThan(ContinuousClock.now - start, .seconds(1))
        XCTAssertEqual(outcome.attempts.map(\.model), ["a", "b"])
    }

    func testOutputReservationThatOverflowsIsRefusedNotATrap() async {
        // A context window plus an absurd output reservation (issue 12: Int64.max traps today).
        let transport = ScriptedTransport([.response(Self.openAIOK)])
        let outcome = await caller(transport).call(
            request, candidates: [candidate(.openAI, "a", window: 128_000, reserve: Int.max)], deadline: deadline())
        XCTAssertEqual(outcome.error?.errorType, "LLM.ContextWindowExceeded")
        XCTAssertEqual(transport.sent.count, 0)
    }

    func testOnceTextHasStreamedAFailureIsFinal() async {
        // A stream cut after text reached a streaming caller: no retry, no fallback, partial usage.
        let sse = String(decoding: Fixture.bytes("openai_stream.sse"), as: UTF8.self)
        let cut = Array(sse.components(separatedBy: "data: [DONE]")[0].utf8)
        let transport = ScriptedTransport([
            .stream(status: 200, headers: ["content-type": "text/event-stream"], chunks: [cut], thenError: nil),
            .response(Self.openAIOK),
        ])
        var streamed = request
        streamed.stream = true
        let pieces = Mutex<[String]>([])
        let outcome = await caller(transport).call(
            streamed, candidates: [candidate(.openAI, "a"), candidate(.openAI, "b")], deadline: deadline(),
            onText: { piece in pieces.withLock { $0.append(piece) } })
        XCTAssertEqual(pieces.withLock { $0 }, ["Hello", ", world"])
        XCTAssertEqual(outcome.attempts.map(\.outcomeName), ["Provider.Truncated"])
        XCTAssertEqual(outcome.error?.errorType, "Provider.Truncated")
        XCTAssertEqual(outcome.attempts[0].usage, UsageRecord.Tokens(input: 19, output: 10, reasoning: 7))
        XCTAssertEqual(transport.sent.count, 1)
    }

    func testTimeoutsAndUnreachableAreTyped() async {
        let transport = ScriptedTransport([
            .failure(.timeout(milliseconds: 10)), .failure(.connectFailed("refused")),
            .failure(.connectFailed("refused")),
        ])
        let outcome = await caller(transport).call(request, candidates: [candidate(.openAI, "a")], deadline: deadline())
        XCTAssertEqual(outcome.attempts.map(\.outcomeName), ["Provider.Timeout", "Provider.Unreachable"])
        XCTAssertEqual(outcome.error?.errorType, "Provider.Unreachable")
    }

    func testMalformedSuccessBodyIsBadResponse() async {
        let transport = ScriptedTransport([
            .response(HTTPResponse(status: 200, body: Array(#"{"id":"x","choices":[{"#.utf8))),
            .response(Self.openAIOK),
        ])
        let outcome = await caller(transport).call(request, candidates: [candidate(.openAI, "a")], deadline: deadline())
        XCTAssertEqual(outcome.attempts.map(\.outcomeName), ["Provider.BadResponse", "ok"])
    }
}

extension AttemptRecord {
    /// `ok`, or the error type (`Provider.CoolingDown`… for skipped candidates).
    var outcomeName: String { error?.errorType ?? "ok" }
}
