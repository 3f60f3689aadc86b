import SwitchyardContract
import SwitchyardJSON

/// Writes the OpenAI-shaped answers: `chat.completion`, `chat.completion.chunk`, the usage block
/// with the exact cost added (the completion and usage straight as bytes: `+Bytes.swift`), and the
/// routing summary headers every response carries.
public enum ChatCompletionResponse {
    /// The retrieval extension of an outcome: `citations` (`[n]` in the answer is `citations[n - 1]`)
    /// and `retrieval` (what the step searched, and `degraded: true` when it failed and the answer
    /// was made without sources). Empty when retrieval did not run.
    public static func retrievalMembers(_ outcome: LLMOutcome) -> [(String, JSON)] {
        var members: [(String, JSON)] = []
        if let citations = outcome.citations {
            members.append(("citations", .array(citations.map(citation))))
        }
        if let report = outcome.retrieval {
            var fields: [(String, JSON)] = [
                ("status", .string(report.status)), ("degraded", .bool(report.status == "failed")),
                ("collection", .string(report.collection)),
                ("embedding_model", .string(report.embeddingModel.rawValue)),
                ("latency_ms", .integer(report.latencyMs)),
            ]
            if let index = report.index { fields.append(("index", .string(index))) }
            if let searched = report.searched { fields.append(("searched", .integer(Int64(searched)))) }
            if let error = report.error {
                fields.append(
                    (
                        "error",
                        .object(
                            JSONObject([("type", .string(error.errorType)), ("message", .string(error.errorMessage))]))
                    )
                )
            }
            members.append(("retrieval", .object(JSONObject(fields))))
        }
        return members
    }

    static func citation(_ citation: Citation) -> JSON {
        var fields: [(String, JSON)] = [
            ("index", .integer(Int64(citation.index))), ("source", .string(citation.source)),
            ("position", .integer(Int64(citation.position))),
        ]
        if let heading = citation.heading { fields.append(("heading", .string(heading))) }
        fields += [("score", .double(citation.score)), ("chunk_id", .string(citation.chunkID))]
        return .object(JSONObject(fields))
    }

    /// The streamed form of the retrieval extension: a chunk with no choices carrying `citations`
    /// and `retrieval`, sent after the finish reason and before the usage chunk; nil when retrieval
    /// did not run.
    public static func retrievalChunk(id: String, created: Int64, model: String, outcome: LLMOutcome) -> JSON? {
        let members = retrievalMembers(outcome)
        guard !members.isEmpty else { return nil }
        return .object(
            JSONObject(
                [
                    ("id", .string(id)), ("object", "chat.completion.chunk"), ("created", .integer(created)),
                    ("model", .string(model)), ("choices", .array([])),
                ] + members))
    }

    /// One streamed chunk; `delta` is `{"role": "assistant"}` first, then `{"content": …}`.
    public static func chunk(
        id: String, created: Int64, model: String, delta: JSON, finishReason: String? = nil
    ) -> JSON {
        let choice = JSONObject([
            ("index", 0), ("delta", delta), ("finish_reason", finishReason.map { .string($0) } ?? .null),
            ("logprobs", .null),
        ])
        return .object(
            JSONObject([
                ("id", .string(id)), ("object", "chat.completion.chunk"), ("created", .integer(created)),
                ("model", .string(model)), ("choices", .array([.object(choice)])),
            ]))
    }

    /// `data: <json>\n\n`.
    public static func event(_ value: JSON) -> [UInt8] {
        var out = Array("data: ".utf8)
        value.write(to: &out)
        out += [0x0A, 0x0A]
        return out
    }

    public static let done: [UInt8] = Array("data: [DONE]\n\n".utf8)

    /// An SSE error event for a stream that fails after it started (the openai client raises
    /// `APIError` on an event carrying `error`).
    public static func errorEvent(_ error: FrontDoorError) -> [UInt8] {
        var out = Array("data: ".utf8)
        out += error.body
        out += [0x0A, 0x0A]
        return out
    }

    /// The contract's finish reasons in OpenAI's words.
    public static func finishReason(_ reason: String) -> String {
        switch reason {
        case "stop", "length", "content_filter": reason
        case "tool_use", "tool_calls": "tool_calls"
        default: "stop"
        }
    }

    static func toolCall(_ call: ToolCall) -> JSON {
        .object(
            JSONObject([
                ("id", .string(call.id)), ("type", "function"),
                (
                    "function",
                    .object(JSONObject([("name", .string(call.name)), ("arguments", .string(call.arguments))]))
                ),
            ]))
    }

    /// The routing summary headers (`x-switchyard-*`) of a decision and its outcome.
    public static func routeHeaders(
        requestID: String, decision: RouteDecision, model: ModelID?, fallback: Bool, cost: PicoUSD?
    ) -> [(String, String)] {
        // At most 10 headers: one allocation, where growing from the first four took four.
        var headers: [(String, String)] = []
        headers.reserveCapacity(10)
        let route = decision.route.rawValue
        headers.append(("x-request-id", requestID))
        headers.append(("x-switchyard-route", decision.strategy.map { route + " " + $0.rawValue } ?? route))
        headers.append(("x-switchyard-tier", decision.tier))
        headers.append(("x-switchyard-bundle", decision.bundleVersion))
        if let model { headers.append(("x-switchyard-model", model.rawValue)) }
        if let rule = decision.matchedRule { headers.append(("x-switchyard-rule", rule)) }
        if let category = decision.classification?.category {
            headers.append(("x-switchyard-category", category.rawValue))
        }
        headers.append(("x-switchyard-fallback", fallback ? "true" : "false"))
        headers.append(("x-switchyard-cost-ceiling-usd", decision.costCeilingPicoUSD.description))
        if let cost { headers.append(("x-switchyard-cost-usd", cost.description)) }
        return headers
    }
}
