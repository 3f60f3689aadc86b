import SwitchyardAWS
import SwitchyardContract
import SwitchyardCore
import SwitchyardHTTP
import SwitchyardJSON
import SwitchyardProviders
import XCTest

/// The OpenAI surface (tools, tool choice, tool results, response format, seed, user) mapped to
/// each provider's wire format, and provider numbers checked at the boundary.
final class CodecMappingTests: XCTestCase {
    let weather = ToolDefinition(
        name: "get_weather", description: "Weather for a city",
        parameters: ["type": "object", "properties": ["city": ["type": "string"]], "required": ["city"]])

    /// A conversation that used a tool: the assistant's call, the tool's result, then a question.
    var request: ChatRequest {
        ChatRequest(
            messages: [
                ChatMessage(role: .system, text: "Be brief."),
                ChatMessage(role: .user, text: "Weather in Paris?"),
                ChatMessage(
                    role: .assistant, content: [.text("")],
                    toolCalls: [ToolCall(id: "call_1", name: "get_weather", arguments: #"{"city":"Paris"}"#)]),
                ChatMessage(role: .tool, content: [.text("18°C, sunny")], toolCallID: "call_1"),
            ],
            maxTokens: 100, stop: ["END"], seed: 42, tools: [weather], toolChoice: .function("get_weather"),
            user: "user-7")
    }

    func target(_ provider: ProviderID) -> ModelTarget {
        ModelTarget(
            provider: provider, model: "m", baseURL: "https://api.example.com", apiKey: "k", region: "us-east-1")
    }

    func body(_ http: HTTPRequest) throws -> JSON { try JSON.parse(http.body) }

    func testOpenAIToolsToolChoiceSeedUserAndResults() throws {
        var r = request
        r.responseFormat = .jsonSchema(name: "weather", schema: ["type": "object"], strict: true)
        let doc = try body(OpenAICodec().encode(r, for: target(.openAI)))
        XCTAssertEqual(
            doc["tools"],
            [
                [
                    "type": "function",
                    "function": [
                        "name": "get_weather", "description": "Weather for a city",
                        "parameters": weather.parameters!,
                    ],
                ]
            ])
        XCTAssertEqual(doc["tool_choice"], ["type": "function", "function": ["name": "get_weather"]])
        XCTAssertEqual(doc["seed"], 42)
        XCTAssertEqual(doc["user"], "user-7")
        XCTAssertEqual(doc["stop"], ["END"])
        XCTAssertEqual(
            doc["response_format"],
            ["type": "json_schema", "json_schema": ["name": "weather", "schema": ["type": "object"], "strict": true]])
        XCTAssertEqual(
            doc["messages"]?[2],
            [
                "role": "assistant", "content": nil,
                "tool_calls": [
                    [
                        "id": "call_1", "type": "function",
                        "function": ["name": "get_weather", "arguments": #"{"city":"Paris"}"#],
                    ]
                ],
            ])
        XCTAssertEqual(doc["messages"]?[3], ["role": "tool", "content": "18°C, sunny", "tool_call_id": "call_1"])
        for (choice, wire) in [(ToolChoice.auto, JSON.string("auto")), (.none, "none"), (.required, "required")] {
            r.toolChoice = choice
            XCTAssertEqual(try body(OpenAICodec().encode(r, for: target(.openAI)))["tool_choice"], wire)
        }
    }

    func testOpenAIToolCallAnswerBufferedAndStreamed() throws {
        let buffered = #"""
            {"id":"c","object":"chat.completion","model":"gpt-4o","choices":[{"index":0,"message":{"role":"assistant",
            "content":null,"tool_calls":[{"id":"call_9","type":"function","function":{"name":"get_weather",
            "arguments":"{\"city\":\"Oslo\"}"}}]},"finish_reason":"tool_calls"}],
            "usage":{"prompt_tokens":50,"completion_tokens":12}}
            """#
        let response = try OpenAICodec().decode(
            HTTPResponse(status: 200, body: Array(buffered.utf8)), request: request, for: target(.openAI))
        XCTAssertEqual(response.finishReason, .toolUse)
        XCTAssertEqual(
            response.toolCalls, [ToolCall(id: "call_9", name: "get_weather", arguments: #"{"city":"Oslo"}"#)])
        XCTAssertEqual(response.usage, UsageRecord.Tokens(input: 50, output: 12))

        let chunks = [
            #"{"choices":[{"index":0,"delta":{"role":"assistant","tool_calls":[{"index":0,"id":"call_9","type":"function","function":{"name":"get_weather","arguments":""}}]}}]}"#,
            #"{"choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"function":{"arguments":"{\"city\""}}]}}]}"#,
            #"{"choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"function":{"arguments":":\"Oslo\"}"}}]}}]}"#,
            #"{"choices":[{"index":0,"delta":{},"finish_reason":"tool_calls"}]}"#,
            #"{"choices":[],"usage":{"prompt_tokens":50,"completion_tokens":12}}"#, "[DONE]",
        ]
        let accumulator = OpenAICodec().makeStreamAccumulator(request: request, for: target(.openAI))
        for chunk in chunks { try accumulator.consume(SSEEvent(data: Array(chunk.utf8))) }
        let streamed = accumulator.response(providerRequestID: nil)
        XCTAssertEqual(streamed.toolCalls, response.toolCalls)
        XCTAssertEqual(streamed.finishReason, .toolUse)
        XCTAssertEqual(streamed.usage, response.usage)
    }

    func testAnthropicToolsChoiceResultsAndJSONInstruction() throws {
        var r = request
        r.responseFormat = .json
        let http = try AnthropicCodec().encode(r, for: target(.anthropic))
        let doc = try body(http)
        XCTAssertEqual(
            doc["tools"],
            [["name": "get_weather", "input_schema": weather.parameters!, "description": "Weather for a city"]])
        XCTAssertEqual(doc["tool_choice"], ["type": "tool", "name": "get_weather"])
        XCTAssertEqual(doc["metadata"], ["user_id": "user-7"])
        XCTAssertNil(doc["seed"], "Anthropic has no seed")
        XCTAssertEqual(doc["system"], "Be brief.\n\nRespond with a single JSON object and nothing else.")
        XCTAssertEqual(doc["max_tokens"], 100)
        XCTAssertEqual(
            doc["messages"],
            [
                ["role": "user", "content": [["type": "text", "text": "Weather in Paris?"]]],
                [
                    "role": "assistant",
                    "content": [
                        ["type": "tool_use", "id": "call_1", "name": "get_weather", "input": ["city": "Paris"]]
                    ],
                ],
                [
                    "role": "user",
                    "content": [
                        ["type": "tool_result", "tool_use_id": "call_1", "content": "18°C, sunny"]
                    ],
                ],
            ])
        for (choice, wire) in [
            (ToolChoice.auto, JSON.object(["type": "auto"])), (.none, ["type": "none"]),
            (.required, ["type": "any"]),
        ] {
            r.toolChoice = choice
            XCTAssertEqual(try body(AnthropicCodec().encode(r, for: target(.anthropic)))["tool_choice"], wire)
        }
        // The model's own limit is what a request without max_tokens gets (Anthropic requires one).
        var open = request
        open.maxTokens = nil
        var limited = target(.anthropic)
        limited.maxOutputTokens = 8192
        XCTAssertEqual(try body(AnthropicCodec().encode(open, for: limited))["max_tokens"], 8192)
    }

    func testAnthropicToolUseAnswerBufferedAndStreamed() throws {
        let buffered = #"""
            {"id":"msg_1","type":"message","role":"assistant","model":"claude-x","content":[
            {"type":"text","text":"Let me check."},
            {"type":"tool_use","id":"toolu_1","name":"get_weather","input":{"city":"Oslo"}}],
            "stop_reason":"tool_use","usage":{"input_tokens":40,"output_tokens":20}}
            """#
        let response = try AnthropicCodec().decode(
            HTTPResponse(status: 200, body: Array(buffered.utf8)), request: request, for: target(.anthropic))
        XCTAssertEqual(response.text, "Let me check.")
        XCTAssertEqual(response.finishReason, .toolUse)
        XCTAssertEqual(
            response.toolCalls, [ToolCall(id: "toolu_1", name: "get_weather", arguments: #"{"city":"Oslo"}"#)])

        let events: [(String, String)] = [
            (
                "message_start",
                #"{"type":"message_start","message":{"model":"claude-x","usage":{"input_tokens":40,"output_tokens":1}}}"#
            ),
            (
                "content_block_start",
                #"{"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}"#
            ),
            (
                "content_block_delta",
                #"{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"Let me check."}}"#
            ),
            (
                "content_block_start",
                #"{"type":"content_block_start","index":1,"content_block":{"type":"tool_use","id":"toolu_1","name":"get_weather","input":{}}}"#
            ),
            (
                "content_block_delta",
                #"{"type":"content_block_delta","index":1,"delta":{"type":"input_json_delta","partial_json":"{\"city\":"}}"#
            ),
            (
                "content_block_delta",
                #"{"type":"content_block_delta","index":1,"delta":{"type":"input_json_delta","partial_json":"\"Oslo\"}"}}"#
            ),
            (
                "message_delta",
                #"{"type":"message_delta","delta":{"stop_reason":"tool_use"},"usage":{"output_tokens":20}}"#
            ),
            ("message_stop", #"{"type":"message_stop"}"#),
        ]
        let accumulator = AnthropicCodec().makeStreamAccumulator(request: request, for: target(.anthropic))
        for (name, data) in events { try accumulator.consume(SSEEvent(event: name, data: Array(data.utf8))) }
        let streamed = accumulator.response(providerRequestID: nil)
        XCTAssertEqual(streamed.toolCalls, response.toolCalls)
        XCTAssertEqual(streamed.text, "Let me check.")
        XCTAssertEqual(streamed.usage, UsageRecord.Tokens(input: 40, output: 20))
    }

    func testBedrockToolConfigToolUseAndResults() throws {
        let codec = BedrockCodec(credentials: AWSCredentials(accessKeyID: "AKID", secretAccessKey: "s"))
        let doc = try body(codec.encode(request, for: target(.bedrock)))
        XCTAssertEqual(
            doc["toolConfig"],
            [
                "tools": [
                    [
                        "toolSpec": [
                            "name": "get_weather", "inputSchema": ["json": weather.parameters!],
                            "description": "Weather for a city",
                        ]
                    ]
                ],
                "toolChoice": ["tool": ["name": "get_weather"]],
            ])
        XCTAssertEqual(
            doc["messages"],
            [
                ["role": "user", "content": [["text": "Weather in Paris?"]]],
                [
                    "role": "assistant",
                    "content": [
                        ["toolUse": ["toolUseId": "call_1", "name": "get_weather", "input": ["city": "Paris"]]]
                    ],
                ],
                [
                    "role": "user",
                    "content": [
                        ["toolResult": ["toolUseId": "call_1", "content": [["text": "18°C, sunny"]]]]
                    ],
                ],
            ])
        XCTAssertEqual(doc["inferenceConfig"], ["maxTokens": 100, "stopSequences": ["END"]])

        let buffered = #"""
            {"output":{"message":{"role":"assistant","content":[{"toolUse":{"toolUseId":"tooluse_1",
            "name":"get_weather","input":{"city":"Oslo"}}}]}},"stopReason":"tool_use",
            "usage":{"inputTokens":40,"outputTokens":20,"cacheReadInputTokens":5,"cacheWriteInputTokens":7}}
            """#
        let response = try codec.decode(
            HTTPResponse(status: 200, body: Array(buffered.utf8)), request: request, for: target(.bedrock))
        XCTAssertEqual(response.finishReason, .toolUse)
        XCTAssertEqual(
            response.toolCalls, [ToolCall(id: "tooluse_1", name: "get_weather", arguments: #"{"city":"Oslo"}"#)])
        XCTAssertEqual(response.usage, UsageRecord.Tokens(input: 52, output: 20, cached: 5, cacheWrite: 7))

        let accumulator = codec.makeStreamAccumulator(request: request, for: target(.bedrock))
        for (name, data) in [
            ("messageStart", #"{"role":"assistant"}"#),
            (
                "contentBlockStart",
                #"{"contentBlockIndex":0,"start":{"toolUse":{"toolUseId":"tooluse_1","name":"get_weather"}}}"#
            ),
            ("contentBlockDelta", #"{"contentBlockIndex":0,"delta":{"toolUse":{"input":"{\"city\":"}}}"#),
            ("contentBlockDelta", #"{"contentBlockIndex":0,"delta":{"toolUse":{"input":"\"Oslo\"}"}}}"#),
            ("contentBlockStop", #"{"contentBlockIndex":0}"#),
            ("messageStop", #"{"stopReason":"tool_use"}"#),
            (
                "metadata",
                #"{"usage":{"inputTokens":40,"outputTokens":20,"cacheReadInputTokens":5,"cacheWriteInputTokens":7}}"#
            ),
        ] {
            try accumulator.consume(SSEEvent(event: name, data: Array(data.utf8)))
        }
        XCTAssertTrue(accumulator.isComplete)
        XCTAssertEqual(accumulator.response(providerRequestID: nil).toolCalls, response.toolCalls)
        XCTAssertEqual(accumulator.response(providerRequestID: nil).usage, response.usage)
    }

    /// Both block streams (Anthropic, Bedrock) assemble tool calls in block order, give an input that never
    /// arrived `{}`, and refuse input for a block that started no tool and block indexes outside 0..<1024.
    func testBlockStreamsOrderToolCallsAndRefuseStrayInputAndBadIndexes() throws {
        func consume(_ accumulator: any StreamAccumulator, _ events: [(String, String)]) throws(LLMError) {
            for (name, data) in events { try accumulator.consume(SSEEvent(event: name, data: Array(data.utf8))) }
        }
        func refusal(_ accumulator: any StreamAccumulator, _ events: [(String, String)]) -> LLMError? {
            do { try consume(accumulator, events) } catch { return error }
            return nil
        }
        let anthropic = { AnthropicCodec().makeStreamAccumulator(request: self.request, for: self.target(.anthropic)) }
        let bedrock = {
            BedrockCodec(credentials: AWSCredentials(accessKeyID: "AKID", secretAccessKey: "s"))
                .makeStreamAccumulator(request: self.request, for: self.target(.bedrock))
        }

        let a = anthropic()
        try consume(
            a,
            [
                (
                    "content_block_start",
                    #"{"index":2,"content_block":{"type":"tool_use","id":"t2","name":"b"}}"#
                ),
                (
                    "content_block_start",
                    #"{"index":1,"content_block":{"type":"tool_use","id":"t1","name":"a"}}"#
                ),
                (
                    "content_block_delta",
                    #"{"index":2,"delta":{"type":"input_json_delta","partial_json":"{\"y\":2}"}}"#
                ),
            ])
        XCTAssertTrue(a.hasOutput)
        XCTAssertEqual(
            a.response(providerRequestID: nil).toolCalls,
            [
                ToolCall(id: "t1", name: "a", arguments: "{}"), ToolCall(id: "t2", name: "b", arguments: #"{"y":2}"#),
            ])
        XCTAssertEqual(
            refusal(
                anthropic(),
                [
                    (
                        "content_block_delta",
                        #"{"index":0,"delta":{"type":"input_json_delta","partial_json":"{"}}"#
                    )
                ]),
            .badResponse(provider: .anthropic, detail: "input_json_delta for a block that is no tool_use"))
        XCTAssertEqual(
            refusal(
                anthropic(),
                [
                    (
                        "content_block_start",
                        #"{"index":1024,"content_block":{"type":"tool_use","id":"t","name":"a"}}"#
                    )
                ]),
            .badResponse(provider: .anthropic, detail: "content block without a valid index"))

        let b = bedrock()
        try consume(
            b,
            [
                ("contentBlockStart", #"{"contentBlockIndex":3,"start":{"toolUse":{"toolUseId":"t3","name":"c"}}}"#),
                ("contentBlockStart", #"{"contentBlockIndex":0,"start":{"toolUse":{"toolUseId":"t0","name":"a"}}}"#),
                ("contentBlockDelta", #"{"contentBlockIndex":3,"delta":{"toolUse":{"input":"{\"x\":1}"}}}"#),
            ])
        XCTAssertTrue(b.hasOutput)
        XCTAssertEqual(
            b.response(providerRequestID: nil).toolCalls,
            [ToolCall(id: "t0", name: "a", arguments: "{}"), ToolCall(id: "t3", name: "c", arguments: #"{"x":1}"#)])
        XCTAssertEqual(
            refusal(bedrock(), [("contentBlockDelta", #"{"contentBlockIndex":0,"delta":{"toolUse":{"input":"{"}}}"#)]),
            .badResponse(provider: .bedrock, detail: "toolUse delta for a block that is no toolUse"))
        XCTAssertEqual(
            refusal(
                bedrock(),
                [("contentBlockStart", #"{"contentBlockIndex":-1,"start":{"toolUse":{"toolUseId":"t","name":"a"}}}"#)]),
            .badResponse(provider: .bedrock, detail: "content block without a valid contentBlockIndex"))
    }

    func testBedrockToolChoiceNoneLeavesToolsOutUnlessTheHistoryHasThem() throws {
        let codec = BedrockCodec(credentials: AWSCredentials(accessKeyID: "AKID", secretAccessKey: "s"))
        var fresh = ChatRequest(
            messages: [ChatMessage(role: .user, text: "hi")], tools: [weather], toolChoice: ToolChoice.none)
        XCTAssertNil(try body(codec.encode(fresh, for: target(.bedrock)))["toolConfig"])
        fresh.toolChoice = .required
        XCTAssertEqual(try body(codec.encode(fresh, for: target(.bedrock)))["toolConfig"]?["toolChoice"], ["any": [:]])
        var history = request
        history.toolChoice = ToolChoice.none
        let config = try body(codec.encode(history, for: target(.bedrock)))["toolConfig"]
        XCTAssertNotNil(config?["tools"])
        XCTAssertNil(config?["toolChoice"])
    }

    func testBedrockRefusesImageURLsAsUnsupportedContent() {
        let codec = BedrockCodec(credentials: AWSCredentials(accessKeyID: "AKID", secretAccessKey: "s"))
        let r = ChatRequest(messages: [ChatMessage(role: .user, content: [.image(.url("https://x/y.png"))])])
        XCTAssertThrowsError(try codec.encode(r, for: target(.bedrock))) {
            XCTAssertEqual(($0 as? LLMError)?.errorType, "LLM.UnsupportedContent")
        }
    }

    // MARK: - Numbers from providers

    func testTokenCountsOutOfRangeAreBadResponsesNotTraps() {
        let hostile = [
            #"{"prompt_tokens":1e19,"completion_tokens":1}"#, #"{"prompt_tokens":-5,"completion_tokens":1}"#,
            #"{"prompt_tokens":1.5,"completion_tokens":1}"#, #"{"prompt_tokens":"12","completion_tokens":1}"#,
            #"{"prompt_tokens":10,"completion_tokens":1,"prompt_tokens_details":{"cached_tokens":11}}"#,
        ]
        for usage in hostile {
            let body =
                #"{"model":"m","choices":[{"message":{"content":"x"},"finish_reason":"stop"}],"usage":"#
                + usage + "}"
            XCTAssertThrowsError(
                try OpenAICodec().decode(
                    HTTPResponse(status: 200, body: Array(body.utf8)), request: request, for: target(.openAI)), usage
            ) { XCTAssertEqual(($0 as? LLMError)?.errorType, "Provider.BadResponse") }
        }
        // Sums of in-range parts that pass the limit: Anthropic and Bedrock add cache reads and writes.
        let big = TokenCount.maximum
        let anthropic =
            #"{"type":"message","content":[],"usage":{"input_tokens":\#(big),"#
            + #""cache_read_input_tokens":\#(big),"cache_creation_input_tokens":\#(big),"output_tokens":1}}"#
        XCTAssertThrowsError(
            try AnthropicCodec().decode(
                HTTPResponse(status: 200, body: Array(anthropic.utf8)), request: request, for: target(.anthropic))
        ) { XCTAssertEqual(($0 as? LLMError)?.errorType, "Provider.BadResponse") }
        let bedrock =
            #"{"output":{"message":{"content":[]}},"usage":{"inputTokens":9223372036854775807,"#
            + #""outputTokens":1,"cacheReadInputTokens":9223372036854775807}}"#
        XCTAssertThrowsError(
            try BedrockCodec(credentials: nil).decode(
                HTTPResponse(status: 200, body: Array(bedrock.utf8)), request: request, for: target(.bedrock))
        ) { XCTAssertEqual(($0 as? LLMError)?.errorType, "Provider.BadResponse") }
        // The largest accepted figures still add up exactly.
        let edge =
            #"{"type":"message","content":[],"usage":{"input_tokens":\#(big - 2),"#
            + #""cache_read_input_tokens":1,"cache_creation_input_tokens":1,"output_tokens":1}}"#
        XCTAssertEqual(
            try AnthropicCodec().decode(
                HTTPResponse(status: 200, body: Array(edge.utf8)), request: request, for: target(.anthropic)
            ).usage.input, big)
    }

    func testRetryAfterHeadersCannotTrap() {
        let codec = OpenAICodec()
        func retryAfter(_ headers: HTTPHeaders) -> Duration? {
            if case .rateLimited(_, _, let after) = codec.error(status: 429, headers: headers, body: []) {
                return after
            }
            XCTFail("not a rate limit")
            return nil
        }
        XCTAssertEqual(retryAfter(["retry-after-ms": "1e19"]), .milliseconds(86_400_000))
        XCTAssertEqual(retryAfter(["retry-after": "1e300"]), .milliseconds(86_400_000))
        XCTAssertEqual(retryAfter(["retry-after-ms": "250"]), .milliseconds(250))
        XCTAssertEqual(retryAfter(["retry-after": "1.5"]), .milliseconds(1500))
        for junk in ["inf", "-inf", "nan", "-1", "Wed, 21 Oct 2015 07:28:00 GMT", String(repeating: "9", count: 400)] {
            XCTAssertNil(retryAfter(["retry-after-ms": junk, "retry-after": junk]), junk)
        }
        // Huge waits never sleep: the policy falls back instead, and cooldowns stay in range.
        var rng = SplitMix64(seed: 9)
        let error = codec.error(status: 429, headers: ["retry-after-ms": "1e19"], body: [])
        XCTAssertNil(RetryPolicy().delay(afterFailedAttempts: 1, error: error, using: &rng))
        let tracker = CooldownTracker()
        tracker.recordFailure(endpoint: "e", model: "m", error: error)
        XCTAssertTrue(tracker.isCoolingDown(endpoint: "e", model: "m"))
    }
}
