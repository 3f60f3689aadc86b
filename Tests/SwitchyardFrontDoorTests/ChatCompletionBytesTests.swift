import SwitchyardContract
import SwitchyardJSON
import XCTest

@testable import SwitchyardFrontDoor

/// The completion and usage block written straight as bytes must equal what the `JSON` tree
/// built them as before (`Reference`, the tree builder as it was) serialised to, byte for byte.
final class ChatCompletionBytesTests: XCTestCase {
    /// Texts with every kind of escape (quote, backslash, the named and the `\u00XX` controls),
    /// unicode of one to four UTF-8 bytes, and the empty string.
    static let texts = [
        "Paris is the capital.", "", "\"quoted\" and \\backslash\\ and /slash/",
        "line\nbreak\r\ncarriage\ttab", "controls \u{00}\u{01}\u{08}\u{0B}\u{0C}\u{1F} and DEL \u{7F}",
        "é ü ñ — 東京 — 🇫🇷 👩‍👩‍👧 — e\u{301}", String(repeating: "long answer, ", count: 400),
    ]

    static let tokens: [UsageRecord.Tokens?] = [
        nil, UsageRecord.Tokens(input: 12, output: 3),
        UsageRecord.Tokens(input: 0, output: 0, cached: 7, cacheWrite: 2, reasoning: 5, estimated: true),
        UsageRecord.Tokens(input: Int64.max, output: 1, cached: Int64.min, reasoning: -1),
    ]

    static let costs: [PicoUSD?] = [nil, .zero, PicoUSD(2_000_000_000), PicoUSD(1), PicoUSD(-3), PicoUSD(Int64.max)]

    static func answer(_ text: String, toolCalls: [ToolCall]? = nil, finish: String = "stop") -> LLMAnswer {
        LLMAnswer(
            text: text, finishReason: finish, model: "gpt-4o-mini", provider: .openAI, providerModel: "gpt-4o-mini-x",
            toolCalls: toolCalls, fallbackUsed: false, tokens: UsageRecord.Tokens(input: 9, output: 4, cached: 1))
    }

    static func outcome(citations: [Citation]?, retrieval: RetrievalReport?) -> LLMOutcome {
        LLMOutcome(
            requestID: "req_1", status: .succeeded, answer: nil, attempts: [], usage: [], error: nil, latencyMs: 3,
            citations: citations, retrieval: retrieval)
    }

    func testCompletionEqualsTheTreeSerialisation() {
        let calls = [
            ToolCall(id: "call_1", name: "lookup", arguments: #"{"city":"Paris \"FR\"","n":1}"#),
            ToolCall(id: "call_2", name: "näme", arguments: "{}"),
        ]
        let citations = [
            Citation(index: 1, source: "docs/a.md", position: 0, heading: "Intro \"A\"", score: 0.875, chunkID: "c1"),
            Citation(index: 2, source: "https://x/ü", position: 7, score: 0.1, chunkID: "c2"),
        ]
        let sources: [LLMOutcome?] = [
            nil, Self.outcome(citations: nil, retrieval: nil), Self.outcome(citations: [], retrieval: nil),
            Self.outcome(
                citations: citations,
                retrieval: RetrievalReport(
                    status: "retrieved", collection: "handbook", embeddingModel: "e5-small", index: "scan",
                    searched: 120, latencyMs: 21)),
            Self.outcome(
                citations: nil,
                retrieval: RetrievalReport(
                    status: "failed", collection: "handbook", embeddingModel: "e5-small",
                    error: StepError(errorType: "Retrieval.Failed", errorMessage: "store \"down\"\n"), latencyMs: 5)),
        ]
        var compared = 0
        for text in Self.texts {
            for (toolCalls, finish) in [(nil, "stop"), ([], "length"), (calls, "tool_use"), (nil, "weird")] {
                let answer = Self.answer(text, toolCalls: toolCalls, finish: finish)
                for usageTokens in Self.tokens {
                    for cost in Self.costs {
                        for source in sources {
                            for (id, created) in [("chatcmpl-req_abc", Int64(1_764_000_000)), ("chatcmpl-\u{1F}é", -1)]
                            {
                                let expected = Reference.completion(
                                    id: id, created: created, answer: answer, usageTokens: usageTokens, cost: cost,
                                    sources: source
                                ).serialized()
                                let written = ChatCompletionResponse.completionBody(
                                    id: id, created: created, answer: answer, usageTokens: usageTokens, cost: cost,
                                    sources: source)
                                XCTAssertEqual(
                                    String(decoding: written, as: UTF8.self), String(decoding: expected, as: UTF8.self))
                                XCTAssertEqual(written, expected)
                                compared += 1
                            }
                        }
                    }
                }
            }
        }
        XCTAssertEqual(compared, Self.texts.count * 4 * Self.tokens.count * Self.costs.count * sources.count * 2)
    }

    func testUsageChunkEqualsTheTreeSerialisation() {
        for tokens in Self.tokens {
            for cost in Self.costs {
                for model in ["gpt-4o-mini", "", "m\"odel\\ü"] {
                    let expected = ChatCompletionResponse.event(
                        Reference.usageChunk(
                            id: "chatcmpl-req_1", created: 17, model: model, tokens: tokens, cost: cost))
                    let written = ChatCompletionResponse.usageChunkEvent(
                        id: "chatcmpl-req_1", created: 17, model: model, tokens: tokens, cost: cost)
                    XCTAssertEqual(String(decoding: written, as: UTF8.self), String(decoding: expected, as: UTF8.self))
                }
            }
        }
    }

    /// The written completion parses back to the answer's values (the reference could share a
    /// mistake with the writer; the parser is independent of both).
    func testCompletionParsesBack() throws {
        let text = Self.texts[5] + Self.texts[4]
        let body = ChatCompletionResponse.completionBody(
            id: "chatcmpl-x", created: 5, answer: Self.answer(text), usageTokens: nil, cost: PicoUSD(2_500_000))
        let json = try JSON.parse(body)
        XCTAssertEqual(json["choices"]?[0]?["message"]?["content"]?.stringValue, text)
        XCTAssertEqual(json["usage"]?["total_tokens"], .integer(13))
        XCTAssertEqual(json["usage"]?["prompt_tokens_details"]?["cached_tokens"], .integer(1))
        XCTAssertEqual(json["usage"]?["cost_usd"]?.stringValue, "0.0000025")
        XCTAssertEqual(json["usage"]?["cost_pico_usd"], .integer(2_500_000))
    }
}

/// The tree builder the front door used before it wrote bytes directly, kept as the reference.
private enum Reference {
    static func usage(_ tokens: UsageRecord.Tokens?, cost: PicoUSD?) -> JSON {
        let t = tokens ?? UsageRecord.Tokens(input: 0, output: 0)
        var members: [(String, JSON)] = [
            ("prompt_tokens", .integer(t.input)), ("completion_tokens", .integer(t.output)),
            ("total_tokens", .integer(t.input &+ t.output)),
            ("prompt_tokens_details", .object(JSONObject([("cached_tokens", .integer(t.cached))]))),
            ("completion_tokens_details", .object(JSONObject([("reasoning_tokens", .integer(t.reasoning))]))),
        ]
        if let cost {
            members.append(("cost_usd", .string(cost.description)))
            members.append(("cost_pico_usd", .integer(cost.rawValue)))
        }
        return .object(JSONObject(members))
    }

    static func completion(
        id: String, created: Int64, answer: LLMAnswer, usageTokens: UsageRecord.Tokens?, cost: PicoUSD?,
        sources: LLMOutcome? = nil
    ) -> JSON {
        var message: [(String, JSON)] = [("role", "assistant"), ("content", .string(answer.text))]
        if let calls = answer.toolCalls, !calls.isEmpty {
            message.append(("tool_calls", .array(calls.map(ChatCompletionResponse.toolCall))))
        }
        let choice = JSONObject([
            ("index", 0), ("message", .object(JSONObject(message))),
            ("finish_reason", .string(ChatCompletionResponse.finishReason(answer.finishReason))), ("logprobs", .null),
        ])
        var members: [(String, JSON)] = [
            ("id", .string(id)), ("object", "chat.completion"), ("created", .integer(created)),
            ("model", .string(answer.model.rawValue)), ("choices", .array([.object(choice)])),
            ("usage", usage(usageTokens ?? answer.tokens, cost: cost)),
            ("system_fingerprint", .null),
        ]
        if let sources { members += ChatCompletionResponse.retrievalMembers(sources) }
        return .object(JSONObject(members))
    }

    static func usageChunk(
        id: String, created: Int64, model: String, tokens: UsageRecord.Tokens?, cost: PicoUSD?
    ) -> JSON {
        .object(
            JSONObject([
                ("id", .string(id)), ("object", "chat.completion.chunk"), ("created", .integer(created)),
                ("model", .string(model)), ("choices", .array([])), ("usage", usage(tokens, cost: cost)),
            ]))
    }
}
