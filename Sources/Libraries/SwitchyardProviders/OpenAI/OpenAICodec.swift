import SwitchyardContract
import SwitchyardCore
import SwitchyardHTTP
import SwitchyardJSON

/// OpenAI Chat Completions (`POST /v1/chat/completions`), also used for OpenAI-compatible
/// servers (llama.cpp, vLLM), which take the same wire format with `max_tokens`.
public struct OpenAICodec: ProviderCodec {
    public let provider: ProviderID
    /// OpenAI proper wants `max_completion_tokens`; compatible servers know only `max_tokens`.
    var compatible: Bool { provider == .openAICompatible }

    public init(compatible: Bool = false) { provider = compatible ? .openAICompatible : .openAI }

    public func encode(_ request: ChatRequest, for target: ModelTarget) throws(LLMError) -> HTTPRequest {
        var body = JSONObject()
        body["model"] = .string(target.model)
        body["messages"] = .array(request.messages.map(Self.message))
        if let maxTokens = request.maxTokens {
            body[compatible ? "max_tokens" : "max_completion_tokens"] = .integer(Int64(maxTokens))
        }
        if let t = request.temperature { body["temperature"] = .double(t) }
        if let p = request.topP { body["top_p"] = .double(p) }
        if !request.stop.isEmpty { body["stop"] = .array(request.stop.map { .string($0) }) }
        if let seed = request.seed { body["seed"] = .integer(seed) }
        if let user = request.user { body["user"] = .string(user) }
        switch request.responseFormat {
        case .text: break
        case .json: body["response_format"] = ["type": "json_object"]
        case .jsonSchema(let name, let schema, let strict):
            body["response_format"] = [
                "type": "json_schema",
                "json_schema": ["name": .string(name), "schema": schema, "strict": .bool(strict)],
            ]
        }
        if !request.tools.isEmpty {
            body["tools"] = .array(
                request.tools.map { tool in
                    var function: JSONObject = ["name": .string(tool.name)]
                    if let d = tool.description { function["description"] = .string(d) }
                    if let p = tool.parameters { function["parameters"] = p }
                    return ["type": "function", "function": .object(function)]
                })
        }
        if let choice = request.toolChoice {
            switch choice {
            case .auto: body["tool_choice"] = "auto"
            case .none: body["tool_choice"] = "none"
            case .required: body["tool_choice"] = "required"
            case .function(let name): body["tool_choice"] = ["type": "function", "function": ["name": .string(name)]]
            }
        }
        if request.stream {
            body["stream"] = true
            body["stream_options"] = ["include_usage": true]
        }
        var headers: HTTPHeaders = ["Content-Type": "application/json"]
        if request.stream { headers.add("Accept", "text/event-stream") }
        if let key = target.apiKey, !key.isEmpty { headers.add("Authorization", "Bearer \(key)") }
        return HTTPRequest(
            method: .post, url: target.baseURL + "/v1/chat/completions", headers: headers,
            body: JSON.object(body).serialized())
    }

    static func message(_ m: ChatMessage) -> JSON {
        var out: JSONObject = ["role": .string(m.role.rawValue)]
        // An assistant turn that only calls tools has no content: `null`, as OpenAI writes it.
        let content = m.toolCalls.isEmpty ? m.content : m.content.filter { $0 != .text("") }
        if content.isEmpty {
            out["content"] = .null
        } else if content.count == 1, case .text(let t) = content[0] {
            out["content"] = .string(t)
        } else {
            out["content"] = .array(
                content.map { part in
                    switch part {
                    case .text(let t): ["type": "text", "text": .string(t)]
                    case .image(.url(let url)): ["type": "image_url", "image_url": ["url": .string(url)]]
                    case .image(.base64(let mediaType, let data)):
                        ["type": "image_url", "image_url": ["url": .string("data:\(mediaType);base64,\(data)")]]
                    }
                })
        }
        if !m.toolCalls.isEmpty {
            out["tool_calls"] = .array(
                m.toolCalls.map { call in
                    [
                        "id": .string(call.id), "type": "function",
                        "function": ["name": .string(call.name), "arguments": .string(call.arguments)],
                    ]
                })
        }
        if let id = m.toolCallID { out["tool_call_id"] = .string(id) }
        return .object(out)
    }

    public func decode(_ response: HTTPResponse, request: ChatRequest, for target: ModelTarget) throws(LLMError)
        -> ChatResponse
    {
        let doc = try Wire.parse(response.body, provider: provider)
        guard let choice = doc["choices"]?[0], let message = choice["message"] else {
            throw .badResponse(provider: provider, detail: "no choices[0].message")
        }
        let text = message["content"]?.stringValue ?? ""
        var calls: [ToolCall] = []
        for (i, call) in (message["tool_calls"]?.arrayValue ?? []).enumerated() {
            guard let name = call["function"]?["name"]?.stringValue else {
                throw .badResponse(provider: provider, detail: "tool_calls[\(i)] has no function.name")
            }
            calls.append(
                ToolCall(
                    id: call["id"]?.stringValue ?? "call_\(i)", name: name,
                    arguments: call["function"]?["arguments"]?.stringValue ?? ""))
        }
        let usage =
            try Self.usage(doc["usage"], provider: provider) ?? TokenEstimator.usage(request: request, output: text)
        return ChatResponse(
            model: doc["model"]?.stringValue ?? target.model, text: text,
            finishReason: Self.finishReason(choice["finish_reason"]?.stringValue), toolCalls: calls, usage: usage,
            providerRequestID: response.headers["x-request-id"])
    }

    public func usage(in body: [UInt8]) -> UsageRecord.Tokens? {
        guard let doc = try? JSON.parse(body) else { return nil }
        return try? Self.usage(doc["usage"], provider: provider)
    }

    /// `usage` with its `*_details`; `nil` when absent or null.
    static func usage(_ u: JSON?, provider: ProviderID) throws(LLMError) -> UsageRecord.Tokens? {
        guard let u, case .object = u else { return nil }
        let input = try TokenCount.read(u["prompt_tokens"], field: "prompt_tokens", provider: provider) ?? 0
        let output = try TokenCount.read(u["completion_tokens"], field: "completion_tokens", provider: provider) ?? 0
        let cached =
            try TokenCount.read(
                u["prompt_tokens_details"]?["cached_tokens"], field: "prompt_tokens_details.cached_tokens",
                provider: provider) ?? 0
        let reasoning =
            try TokenCount.read(
                u["completion_tokens_details"]?["reasoning_tokens"],
                field: "completion_tokens_details.reasoning_tokens", provider: provider) ?? 0
        // Parts cannot exceed their totals: a provider saying so is broken, not generous.
        guard cached <= input, reasoning <= output else {
            throw .badResponse(provider: provider, detail: "usage details exceed their totals")
        }
        return UsageRecord.Tokens(input: input, output: output, cached: cached, reasoning: reasoning)
    }

    static func finishReason(_ raw: String?) -> FinishReason {
        switch raw {
        case "stop": .stop
        case "length": .length
        case "content_filter": .contentFilter
        case "tool_calls", "function_call": .toolUse
        default: raw == nil ? .stop : .other
        }
    }

    public func error(status: Int, headers: HTTPHeaders, body: [UInt8]) -> LLMError {
        let doc = try? JSON.parse(body)
        let error = doc?["error"]
        let message = (error?["message"]?.stringValue ?? error?.stringValue).map(Wire.excerpt) ?? Wire.excerpt(body)
        let code = error?["code"]?.stringValue ?? ""
        return Wire.classify(
            provider: provider, status: status, message: message, headers: headers,
            contextExceeded: code == "context_length_exceeded"
                || (status == 400 && message.contains(text: "maximum context length")))
    }

    public func makeStreamAccumulator(request: ChatRequest, for target: ModelTarget) -> any StreamAccumulator {
        OpenAIStreamAccumulator(provider: provider, request: request, model: target.model)
    }
}

/// `data: {chunk}` events until `data: [DONE]`; usage arrives in a last chunk with empty
/// `choices` when `stream_options.include_usage` was set. Tool calls arrive as fragments
/// keyed by `index` (id and name first, then pieces of the arguments).
final class OpenAIStreamAccumulator: StreamAccumulator {
    let provider: ProviderID
    let request: ChatRequest
    var model: String
    var onText: ((String) -> Void)?
    private var parts: [String] = []
    private var calls: [Int: (id: String, name: String, arguments: String)] = [:]
    private(set) var isComplete = false
    private(set) var hasOutput = false
    private(set) var reportedUsage: UsageRecord.Tokens?
    private var finish: String?

    init(provider: ProviderID, request: ChatRequest, model: String) {
        self.provider = provider
        self.request = request
        self.model = model
    }

    var text: String { parts.joinedText() }

    func consume(_ event: SSEEvent) throws(LLMError) {
        if event.data.count == 6, event.data == Array("[DONE]".utf8) {
            isComplete = true
            return
        }
        guard !isComplete else { throw .badResponse(provider: provider, detail: "data after [DONE]") }
        let doc: JSON
        do { doc = try JSON.parse(event.data) } catch {
            throw .badResponse(provider: provider, detail: "stream chunk is not valid JSON (\(error))")
        }
        if let error = doc["error"] {
            throw .upstream(
                provider: provider, status: 200,
                message: Wire.excerpt(error["message"]?.stringValue ?? "error event in stream"))
        }
        if let m = doc["model"]?.stringValue { model = m }
        if let choice = doc["choices"]?[0] {
            if let piece = choice["delta"]?["content"]?.stringValue, !piece.isEmpty {
                parts.append(piece)
                hasOutput = true
                onText?(piece)
            }
            for fragment in choice["delta"]?["tool_calls"]?.arrayValue ?? [] {
                guard let index = fragment["index"]?.int64Value, (0..<128).contains(index) else {
                    throw .badResponse(provider: provider, detail: "tool call fragment without a valid index")
                }
                var call = calls[Int(index)] ?? ("", "", "")
                if let id = fragment["id"]?.stringValue { call.id = id }
                if let name = fragment["function"]?["name"]?.stringValue { call.name += name }
                if let args = fragment["function"]?["arguments"]?.stringValue { call.arguments += args }
                calls[Int(index)] = call
                hasOutput = true
            }
            if let f = choice["finish_reason"]?.stringValue { finish = f }
        }
        if let usage = try OpenAICodec.usage(doc["usage"], provider: provider) { reportedUsage = usage }
    }

    func response(providerRequestID: String?) -> ChatResponse {
        let text = self.text
        let toolCalls = calls.sorted { $0.key < $1.key }.map { index, call in
            ToolCall(id: call.id.isEmpty ? "call_\(index)" : call.id, name: call.name, arguments: call.arguments)
        }
        return ChatResponse(
            model: model, text: text, finishReason: OpenAICodec.finishReason(finish), toolCalls: toolCalls,
            usage: reportedUsage ?? TokenEstimator.usage(request: request, output: text),
            providerRequestID: providerRequestID)
    }
}
