import SwitchyardContract
import SwitchyardJSON

/// The whole completion and the usage block written straight into the response bytes, without a
/// `JSON` tree between: on the chat path that tree was about 18 allocations and a walk per answer.
/// The bytes are those the tree serialised to (`ChatCompletionBytesTests` compares them with a
/// copy of the tree builder for answers with escapes, unicode, tool calls and retrieval); every
/// string and number goes through SwitchyardJSON's own serializer, so escaping has one definition.
extension ChatCompletionResponse {
    /// A whole (non-streamed) `chat.completion`; `sources` adds the retrieval extension
    /// (`citations`, `retrieval`) when the step retrieved.
    public static func completionBody(
        id: String, created: Int64, answer: LLMAnswer, usageTokens: UsageRecord.Tokens?, cost: PicoUSD?,
        sources: LLMOutcome? = nil
    ) -> [UInt8] {
        var out: [UInt8] = []
        // The fixed text and usage block are about 330 bytes; one allocation for a usual answer.
        out.reserveCapacity(448 + id.utf8.count + answer.model.rawValue.utf8.count + answer.text.utf8.count)
        out.append(#"{"id":"#)
        JSON.string(id).write(to: &out)
        out.append(#","object":"chat.completion","created":"#)
        JSON.integer(created).write(to: &out)
        out.append(#","model":"#)
        JSON.string(answer.model.rawValue).write(to: &out)
        out.append(#","choices":[{"index":0,"message":{"role":"assistant","content":"#)
        JSON.string(answer.text).write(to: &out)
        if let calls = answer.toolCalls, !calls.isEmpty {
            out.append(#","tool_calls":"#)
            JSON.array(calls.map(toolCall)).write(to: &out)
        }
        out.append(#"},"finish_reason":"#)
        JSON.string(finishReason(answer.finishReason)).write(to: &out)
        out.append(#","logprobs":null}],"usage":"#)
        writeUsage(usageTokens ?? answer.tokens, cost: cost, to: &out)
        out.append(#","system_fingerprint":null"#)
        if let sources {
            for (name, value) in retrievalMembers(sources) {
                out.append(UInt8(ascii: ","))
                JSON.string(name).write(to: &out)
                out.append(UInt8(ascii: ":"))
                value.write(to: &out)
            }
        }
        out.append(UInt8(ascii: "}"))
        return out
    }

    /// The usage block: OpenAI's fields, plus `cost_usd` (exact decimal dollars) and
    /// `cost_pico_usd` (the integer the bill is kept in), for every charged attempt of the request.
    public static func writeUsage(_ tokens: UsageRecord.Tokens?, cost: PicoUSD?, to out: inout [UInt8]) {
        let t = tokens ?? UsageRecord.Tokens(input: 0, output: 0)
        out.append(#"{"prompt_tokens":"#)
        JSON.integer(t.input).write(to: &out)
        out.append(#","completion_tokens":"#)
        JSON.integer(t.output).write(to: &out)
        out.append(#","total_tokens":"#)
        JSON.integer(t.input &+ t.output).write(to: &out)
        out.append(#","prompt_tokens_details":{"cached_tokens":"#)
        JSON.integer(t.cached).write(to: &out)
        out.append(#"},"completion_tokens_details":{"reasoning_tokens":"#)
        JSON.integer(t.reasoning).write(to: &out)
        out.append(UInt8(ascii: "}"))
        if let cost {
            out.append(#","cost_usd":"#)
            JSON.string(cost.description).write(to: &out)
            out.append(#","cost_pico_usd":"#)
            JSON.integer(cost.rawValue).write(to: &out)
        }
        out.append(UInt8(ascii: "}"))
    }

    /// The last event of a stream when `stream_options.include_usage` is set: a chunk with no
    /// choices and the usage block, as `data: <json>\n\n`.
    public static func usageChunkEvent(
        id: String, created: Int64, model: String, tokens: UsageRecord.Tokens?, cost: PicoUSD?
    ) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(448 + id.utf8.count + model.utf8.count)
        out.append("data: ")
        out.append(#"{"id":"#)
        JSON.string(id).write(to: &out)
        out.append(#","object":"chat.completion.chunk","created":"#)
        JSON.integer(created).write(to: &out)
        out.append(#","model":"#)
        JSON.string(model).write(to: &out)
        out.append(#","choices":[],"usage":"#)
        writeUsage(tokens, cost: cost, to: &out)
        out.append("}\n\n")
        return out
    }
}

extension [UInt8] {
    /// Appends a literal's UTF-8 without making a `String` of it.
    fileprivate mutating func append(_ literal: StaticString) {
        literal.withUTF8Buffer { append(contentsOf: $0) }
    }
}
