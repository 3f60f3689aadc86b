import SwitchyardAWS
import SwitchyardContract
import SwitchyardHTTP
import SwitchyardJSON
import SwitchyardProviders
import XCTest

final class CodecTests: XCTestCase {
    let request = ChatRequest(
        messages: [ChatMessage(role: .system, text: "Be brief."), ChatMessage(role: .user, text: "Hello")],
        maxTokens: 50,
        temperature: 0.2)

    func target(_ kind: ProviderID, model: String = "m") -> ModelTarget {
        ModelTarget(
            provider: kind, model: model, baseURL: "https://api.example.com/", apiKey: "sk-test", region: "us-west-2")
    }

    func body(_ http: HTTPRequest) throws -> JSON { try JSON.parse(http.body) }

    // MARK: OpenAI

    func testOpenAIRequestWireFormat() throws {
        var streamed = request
        streamed.stream = true
        streamed.responseFormat = .json
        let http = try OpenAICodec().encode(streamed, for: target(.openAI))
        XCTAssertEqual(http.url, "https://api.example.com/v1/chat/completions")
        XCTAssertEqual(http.headers["authorization"], "Bearer sk-test")
        let doc = try body(http)
        XCTAssertEqual(doc["model"], "m")
        XCTAssertEqual(doc["messages"]?[0], ["role": "system", "content": "Be brief."])
        XCTAssertEqual(doc["messages"]?[1], ["role": "user", "content": "Hello"])
        XCTAssertEqual(doc["max_completion_tokens"], 50)
        XCTAssertNil(doc["max_tokens"])
        XCTAssertEqual(doc["stream"], true)
        XCTAssertEqual(doc["stream_options"], ["include_usage": true])
        XCTAssertEqual(doc["response_format"], ["type": "json_object"])
        // Compatible servers get max_tokens.
        XCTAssertEqual(
            try body(OpenAICodec(compatible: true).encode(request, for: target(.openAICompatible)))["max_tokens"], 50)
    }

    func testOpenAIImagePartsUseImageURL() throws {
        let vision = ChatRequest(messages: [
            ChatMessage(
                role: .user,
                content: [
                    .text("What is this?"), .image(.base64(mediaType: "image/png", data: "iVBORw0KGgo=")),
                    .image(.url("https://x/y.jpg")),
                ])
        ])
        let content = try body(OpenAICodec().encode(vision, for: target(.openAI)))["messages"]?[0]?["content"]
        XCTAssertEqual(content?[0], ["type": "text", "text": "What is this?"])
        XCTAssertEqual(content?[1], ["type": "image_url", "image_url": ["url": "data:image/png;base64,iVBORw0KGgo="]])
        XCTAssertEqual(content?[2], ["type": "image_url", "image_url": ["url": "https://x/y.jpg"]])
    }

    func testOpenAIResponseUsageIsExactIncludingCachedAndReasoning() throws {
        let response = try OpenAICodec().decode(
            Fixture.response("openai_chat_completion.json"), request: request, for: target(.openAI))
        XCTAssertEqual(response.text, "The image shows a wooden boardwalk path.")
        XCTAssertEqual(response.model, "gpt-4o-2024-08-06")
        XCTAssertEqual(response.finishReason, .stop)
        XCTAssertEqual(
            response.usage,
            UsageRecord.Tokens(input: 1117, output: 46, cached: 1024, reasoning: 12, estimated: false))
    }

    func testOpenAIStreamAccumulatesTextAndFinalUsage() throws {
        let accumulator = OpenAICodec().makeStreamAccumulator(request: request, for: target(.openAI))
        var parser = SSEParser()
        try parser.feed(Fixture.bytes("openai_stream.sse")) { try accumulator.consume($0) }
        XCTAssertTrue(accumulator.isComplete)
        let response = accumulator.response(providerRequestID: "req")
        XCTAssertEqual(response.text, "Hello, world")
        XCTAssertEqual(response.usage, UsageRecord.Tokens(input: 19, output: 10, reasoning: 7))
    }

    func testOpenAIStreamWithoutDoneIsIncompleteAndWithoutUsageIsEstimated() throws {
        let text = String(decoding: Fixture.bytes("openai_stream.sse"), as: UTF8.self)
        let cut = text.components(separatedBy: "data: [DONE]")[0]
        let accumulator = OpenAICodec().makeStreamAccumulator(request: request, for: target(.openAI))
        var parser = SSEParser()
        try parser.feed(Array(cut.utf8)) { try accumulator.consume($0) }
        XCTAssertFalse(accumulator.isComplete)

        let noUsage = text.components(separatedBy: "\n\n").filter { !$0.contains("\"usage\":{") }.joined(
            separator: "\n\n")
        let second = OpenAICodec().makeStreamAccumulator(request: request, for: target(.openAI))
        var parser2 = SSEParser()
        try parser2.feed(Array(noUsage.utf8)) { try second.consume($0) }
        XCTAssertTrue(second.isComplete)
        XCTAssertNil(second.reportedUsage)
        XCTAssertTrue(second.response(providerRequestID: nil).usage.estimated)
    }

    func testOpenAIMalformedChunkIsBadResponse() {
        let accumulator = OpenAICodec().makeStreamAccumulator(request: request, for: target(.openAI))
        XCTAssertThrowsError(try accumulator.consume(SSEEvent(data: Array(#"{"choices":[{"delta":"#.utf8)))) {
            XCTAssertEqual(($0 as? LLMError)?.errorType, "Provider.BadResponse")
        }
    }

    func testOpenAIErrorsAreTyped() {
        let codec = OpenAICodec()
        let limited = codec.error(
            status: 429, headers: ["retry-after-ms": "1500", "retry-after": "2"],
            body: Array(
                #"{"error":{"message":"Rate limit reached","type":"requests","param":null,"code":"rate_limit_exceeded"}}"#
                    .utf8))
        XCTAssertEqual(
            limited, .rateLimited(provider: .openAI, message: "Rate limit reached", retryAfter: .milliseconds(1500)))
        let context = codec.error(
            status: 400, headers: [:],
            body: Array(
                #"{"error":{"message":"This model's maximum context length is 128000 tokens.","type":"invalid_request_error","param":"messages","code":"context_length_exceeded"}}"#
                    .utf8))
        XCTAssertEqual(context.errorType, "LLM.ContextWindowExceeded")
        XCTAssertTrue(context.errorMessage.contains("maximum context length"))
        XCTAssertEqual(
            codec.error(status: 401, headers: [:], body: Array(#"{"error":{"message":"bad key"}}"#.utf8)).errorType,
            "Provider.AuthenticationFailed")
        XCTAssertEqual(
            codec.error(status: 503, headers: [:], body: Array("<html>".utf8)),
            .upstream(provider: .openAI, status: 503, message: "<html>"))
    }

    // MARK: Anthropic

    func testAnthropicRequestWireFormat() throws {
        let vision = ChatRequest(
            messages: [
                ChatMessage(role: .system, text: "Be brief."),
                ChatMessage(
                    role: .user, content: [.text("What?"), .image(.base64(mediaType: "image/jpeg", data: "/9j/4AAQ"))]),
            ], stop: ["END"], stream: true)
        let http = try AnthropicCodec().encode(vision, for: target(.anthropic))
        XCTAssertEqual(http.url, "https://api.example.com/v1/messages")
        XCTAssertEqual(http.headers["x-api-key"], "sk-test")
        XCTAssertEqual(http.headers["anthropic-version"], "2023-06-01")
        XCTAssertNil(http.headers["authorization"])
        let doc = try body(http)
        XCTAssertEqual(doc["system"], "Be brief.")
        XCTAssertEqual(doc["max_tokens"], 4096)
        XCTAssertEqual(doc["stop_sequences"], ["END"])
        XCTAssertEqual(doc["messages"]?.arrayValue?.count, 1)
        XCTAssertEqual(
            doc["messages"]?[0]?["content"]?[1],
            ["type": "image", "source": ["type": "base64", "media_type": "image/jpeg", "data": "/9j/4AAQ"]])
    }

    func testAnthropicUsageFoldsCacheIntoInput() throws {
        let response = try AnthropicCodec().decode(
            Fixture.response("anthropic_message.json"), request: request, for: target(.anthropic))
        XCTAssertEqual(response.text, "Hi! My name is Claude.")
        XCTAssertEqual(
            response.usage,
            UsageRecord.Tokens(input: 21 + 1800 + 188, output: 393, cached: 1800, cacheWrite: 188))
    }

    func testAnthropicStreamUsageFromStartAndDelta() throws {
        let accumulator = AnthropicCodec().makeStreamAccumulator(request: request, for: target(.anthropic))
        var parser = SSEParser()
        try parser.feed(Fixture.bytes("anthropic_stream.sse")) { try accumulator.consume($0) }
        XCTAssertTrue(accumulator.isComplete)
        let response = accumulator.response(providerRequestID: nil)
        XCTAssertEqual(response.text, "Hello!")
        XCTAssertEqual(response.finishReason, .stop)
        XCTAssertEqual(
            response.usage,
            UsageRecord.Tokens(input: 135, output: 15, cached: 100, cacheWrite: 10))
    }

    func testAnthropicErrorsAreTyped() {
        let codec = AnthropicCodec()
        let overloaded = codec.error(
            status: 529, headers: [:],
            body: Array(#"{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}"#.utf8))
        XCTAssertEqual(overloaded, .upstream(provider: .anthropic, status: 529, message: "Overloaded"))
        let limited = codec.error(
            status: 429, headers: ["retry-after": "3"],
            body: Array(#"{"type":"error","error":{"type":"rate_limit_error","message":"slow down"}}"#.utf8))
        XCTAssertEqual(limited, .rateLimited(provider: .anthropic, message: "slow down", retryAfter: .seconds(3)))
        let context = codec.error(
            status: 400, headers: [:],
            body: Array(
                #"{"type":"error","error":{"type":"invalid_request_error","message":"prompt is too long: 210000 tokens > 200000 maximum"}}"#
                    .utf8))
        XCTAssertEqual(context.errorType, "LLM.ContextWindowExceeded")
        let accumulator = codec.makeStreamAccumulator(request: request, for: target(.anthropic))
        XCTAssertThrowsError(
            try accumulator.consume(
                SSEEvent(
                    event: "error",
                    data: Array(#"{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}"#.utf8)))
        ) {
            XCTAssertEqual(($0 as? LLMError)?.errorType, "Provider.UpstreamError")
        }
    }

    // MARK: Bedrock

    func testBedrockRequestIsSignedAndModelIDEncoded() throws {
        let codec = BedrockCodec(
            credentials: AWSCredentials(accessKeyID: "AKID", secretAccessKey: "secret", sessionToken: "tok"))
        let http = try codec.encode(
            request,
            for: ModelTarget(
                provider: .bedrock, model: "anthropic.claude-3-haiku-20240307-v1:0",
                baseURL: BedrockCodec.baseURL(region: "us-west-2"), region: "us-west-2"))
        XCTAssertEqual(
            http.url,
            "https://bedrock-runtime.us-west-2.amazonaws.com/model/anthropic.claude-3-haiku-20240307-v1%3A0/converse")
        let auth = try XCTUnwrap(http.headers["Authorization"])
        XCTAssertTrue(auth.hasPrefix("AWS4-HMAC-SHA256 Credential=AKID/"))
        XCTAssertTrue(auth.contains("/us-west-2/bedrock/aws4_request"))
        XCTAssertEqual(http.headers["X-Amz-Security-Token"], "tok")
        let doc = try body(http)
        XCTAssertEqual(doc["system"], [["text": "Be brief."]])
        XCTAssertEqual(doc["messages"], [["role": "user", "content": [["text": "Hello"]]]])
        XCTAssertEqual(doc["inferenceConfig"], ["maxTokens": 50, "temperature": 0.2])
        XCTAssertThrowsError(try BedrockCodec(credentials: nil).encode(request, for: target(.bedrock)))
    }

    func testBedrockUsageAndErrors() throws {
        let codec = BedrockCodec(credentials: nil)
        let response = try codec.decode(
            Fixture.response("bedrock_converse.json"), request: request, for: target(.bedrock))
        XCTAssertEqual(response.finishReason, .length)
        XCTAssertEqual(response.usage, UsageRecord.Tokens(input: 130, output: 628, cached: 100))
        let throttled = codec.error(
            status: 429,
            headers: ["x-amzn-ErrorType": "ThrottlingException:http://internal.amazon.com/coral/com.amazon.bedrock/"],
            body: Array(#"{"message":"Too many requests"}"#.utf8))
        XCTAssertEqual(throttled.errorType, "Provider.RateLimited")
        let tooLong = codec.error(
            status: 400, headers: ["x-amzn-ErrorType": "ValidationException"],
            body: Array(#"{"message":"Input is too long for requested model."}"#.utf8))
        XCTAssertEqual(tooLong.errorType, "LLM.ContextWindowExceeded")
    }
}
