import SwitchyardContract
import SwitchyardJSON
import XCTest

@testable import SwitchyardFrontDoor

/// The messages field most cases share.
let hi = #""messages": [{"role": "user", "content": "hi"}]"#

final class ChatCompletionRequestTests: XCTestCase {
    func parse(_ text: String) throws -> ChatCompletionRequest { try ChatCompletionRequest(body: Array(text.utf8)) }

    func refusal(_ text: String) -> FrontDoorError? {
        do {
            _ = try parse(text)
            return nil
        } catch let error as FrontDoorError {
            return error
        } catch {
            return .internalError("\(error)")
        }
    }

    func testFullRequestMapsToTheContract() throws {
        let request = try parse(
            """
            {"model": "gpt-4o-mini", "stream": true, "stream_options": {"include_usage": true},
             "messages": [
               {"role": "developer", "content": "Be brief."},
               {"role": "user", "content": [{"type": "text", "text": "What is this?"},
                 {"type": "image_url", "image_url": {"url": "https://example.com/cat.jpg"}}]},
               {"role": "assistant", "content": null,
                "tool_calls": [{"id": "c1", "type": "function", "function": {"name": "f", "arguments": "{}"}}]},
               {"role": "tool", "tool_call_id": "c1", "content": "42"}],
             "max_tokens": 64, "temperature": 0.5, "top_p": 1, "stop": "END", "seed": 7,
             "response_format": {"type": "json_object"},
             "tools": [{"type": "function", "function": {"name": "f", "parameters": {"type": "object"}}}],
             "tool_choice": {"type": "function", "function": {"name": "f"}}, "user": "u-1",
             "switchyard": {"route": "cheapest", "max_cost_usd": "0.01", "max_latency_ms": 2000,
                            "category": "code", "tags": ["realtime"]}}
            """)
        XCTAssertEqual(request.model, ModelID("gpt-4o-mini"))
        XCTAssertTrue(request.stream)
        XCTAssertTrue(request.includeUsage)
        XCTAssertEqual(request.messages.count, 4)
        XCTAssertEqual(request.messages[0].role, .system)  // developer is the system role
        XCTAssertEqual(request.messages[1].text, "What is this?")
        XCTAssertEqual(request.messages[1].images.map(\.wireValue), ["https://example.com/cat.jpg"])
        XCTAssertEqual(request.messages[2].toolCalls, [ToolCall(id: "c1", name: "f", arguments: "{}")])
        XCTAssertEqual(request.messages[3].toolCallID, "c1")
        XCTAssertEqual(request.parameters.maxTokens, 64)
        XCTAssertEqual(request.parameters.temperature, 0.5)
        XCTAssertEqual(request.parameters.topP, 1)
        XCTAssertEqual(request.parameters.stop, ["END"])
        XCTAssertEqual(request.parameters.seed, 7)
        XCTAssertEqual(request.parameters.responseFormat, .json)
        XCTAssertEqual(request.parameters.tools?.map(\.name), ["f"])
        XCTAssertEqual(request.parameters.toolChoice, .function("f"))
        XCTAssertEqual(request.user, "u-1")
        // $0.01 = 10^10 pico-USD.
        XCTAssertEqual(request.hints.maxCostPicoUSD, PicoUSD(10_000_000_000))
        XCTAssertEqual(request.hints.route, .cheapest)
        XCTAssertEqual(request.hints.maxLatencyMs, 2000)
        XCTAssertEqual(request.hints.category, .code)
        XCTAssertEqual(request.hints.tags, ["realtime"])
        XCTAssertEqual(request.hints.model, ModelID("gpt-4o-mini"))
    }

    func testAutoLeavesTheModelToTheRouter() throws {
        let request = try parse(#"{"model": "auto", "messages": [{"role": "user", "content": "hi"}]}"#)
        XCTAssertNil(request.model)
        XCTAssertNil(request.hints.model)
        XCTAssertTrue(request.hints.isEmpty)
        XCTAssertFalse(request.stream)
        XCTAssertFalse(request.includeUsage)
    }

    func testMaxCompletionTokensWinsOverMaxTokens() throws {
        let request = try parse(
            #"{"model": "auto", "max_tokens": 10, "max_completion_tokens": 20, \#(hi)}"#
        )
        XCTAssertEqual(request.parameters.maxTokens, 20)
    }

    func testBadInputIsATypedErrorNamingTheParameter() {
        let cases: [(String, String?)] = [
            ("{not json", nil),
            ("[]", nil),
            (#"{"messages": [{"role": "user", "content": "hi"}]}"#, "model"),
            (#"{"model": "auto"}"#, "messages"),
            (#"{"model": "auto", "messages": []}"#, "messages"),
            (#"{"model": "auto", "messages": "hi"}"#, "messages"),
            (#"{"model": "auto", "messages": [{"role": "boss", "content": "hi"}]}"#, "messages[0].role"),
            (#"{"model": "auto", "messages": [{"role": "user"}]}"#, "messages[0].content"),
            (#"{"model": "auto", "messages": [{"role": "user", "content": 5}]}"#, "messages[0].content"),
            (#"{"model": "auto", "messages": [{"role": "tool", "content": "x"}]}"#, "messages[0].tool_call_id"),
            (
                #"{"model": "auto", "messages": [{"role": "user", "content": [{"type": "audio"}]}]}"#,
                "messages[0].content[0].type"
            ),
            (
                #"{"model": "auto", "messages": [{"role": "user", "content": "#
                    + #"[{"type": "image_url", "image_url": {"url": "ftp://x/y.png"}}]}]}"#,
                "messages[0].content[0].image_url.url"
            ),
            (
                #"{"model": "auto", "temperature": "hot", "messages": [{"role": "user", "content": "hi"}]}"#,
                "temperature"
            ),
            (#"{"model": "auto", "temperature": 2.5, "messages": [{"role": "user", "content": "hi"}]}"#, "temperature"),
            (#"{"model": "auto", "max_tokens": 0, "messages": [{"role": "user", "content": "hi"}]}"#, "max_tokens"),
            (#"{"model": "auto", "max_tokens": 1.5, "messages": [{"role": "user", "content": "hi"}]}"#, "max_tokens"),
            (#"{"model": "auto", "n": 2, "messages": [{"role": "user", "content": "hi"}]}"#, "n"),
            (#"{"model": "auto", "stream": "yes", "messages": [{"role": "user", "content": "hi"}]}"#, "stream"),
            (
                #"{"model": "auto", "stop": ["a","b","c","d","e"], "messages": [{"role": "user", "content": "hi"}]}"#,
                "stop"
            ),
            (
                #"{"model": "auto", "response_format": {"type": "xml"}, \#(hi)}"#,
                "response_format.type"
            ),
            (
                #"{"model": "auto", "switchyard": {"route": "random"}, \#(hi)}"#,
                "switchyard.route"
            ),
            (
                #"{"model": "auto", "switchyard": {"max_cost_usd": "-1"}, \#(hi)}"#,
                "switchyard.max_cost_usd"
            ),
        ]
        for (body, param) in cases {
            guard case .invalidRequest(let got, _)? = refusal(body) else {
                XCTFail("\(body) was not refused as an invalid request: \(String(describing: refusal(body)))")
                continue
            }
            XCTAssertEqual(got, param, body)
        }
    }

    func testMalformedModelIdIsModelNotFound() {
        XCTAssertEqual(
            refusal(#"{"model": "gpt 4o", "messages": [{"role": "user", "content": "hi"}]}"#), .modelNotFound("gpt 4o"))
    }

    func testDeeplyNestedBodyIsRefusedNotCrashed() {
        let deep = String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000)
        guard case .invalidRequest? = refusal(deep) else { return XCTFail("deep nesting was not refused") }
    }
}
