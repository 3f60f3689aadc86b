import SwitchyardContract
import SwitchyardCore
import SwitchyardHTTP
import SwitchyardJSON

/// Anthropic Messages (`POST /v1/messages`, `anthropic-version: 2023-06-01`).
///
/// Mapping of the OpenAI surface: system messages → `system`; tools → `tools` with
/// `input_schema`; `toolChoice` auto/none/required/function → `auto`/`none`/`any`/`tool`;
/// assistant tool calls → `tool_use` blocks; tool results → `tool_result` blocks in a user turn
/// (consecutive results share one turn, as the API requires); `stop` → `stop_sequences`;
/// `user` → `metadata.user_id`. Anthropic has no JSON mode and no seed: a JSON response format
/// becomes an instruction in the system prompt, and the seed is not sent.
public struct AnthropicCodec: ProviderCodec {
    public let provider = ProviderID.anthropic
    public static let apiVersion = "2023-06-01"
    /// Anthropic requires `max_tokens`: sent when neither the request nor the model sets one.
    public var defaultMaxTokens: Int

    public init(defaultMaxTokens: Int = 4096) { self.defaultMaxTokens = defaultMaxTokens }

    public func encode(_ request: ChatRequest, for target: ModelTarget) throws(LLMError) -> HTTPRequest {
        var body = JSONObject()
        body["model"] = .string(target.model)
        body["max_tokens"] = .integer(Int64(request.maxTokens ?? target.maxOutputTokens ?? defaultMaxTokens))
        if let system = request.systemPromptWithFormat { body["system"] = .string(system) }
        body["messages"] = .array(try Self.messages(request.conversation))
        if let t = request.temperature { body["temperature"] = .double(t) }
        if let p = request.topP { body["top_p"] = .double(p) }
        if !request.stop.isEmpty { body["stop_sequences"] = .array(request.stop.map { .string($0) }) }
        if let user = request.user { body["metadata"] = ["user_id": .string(user)] }
        if !request.tools.isEmpty {
            body["tools"] = .array(
                request.tools.map { tool in
                    var out: JSONObject = ["name": .string(tool.name), "input_schema": Wire.schema(tool)]
                    if let d = tool.description { out["description"] = .string(d) }
                    return .object(out)
                })
            switch request.toolChoice {
            case nil: break
            case .auto?: body["tool_choice"] = ["type": "auto"]
            case .none?: body["tool_choice"] = ["type": "none"]
            case .required?: body["tool_choice"] = ["type": "any"]
            case .function(let name)?: body["tool_choice"] = ["type": "tool", "name": .string(name)]
            }
        }
        if request.stream { body["stream"] = true }
        var headers: HTTPHeaders = ["Content-Type": "application/json", "anthropic-version": Self.apiVersion]
        if request.stream { headers.add("Accept", "text/event-stream") }
        if let key = target.apiKey, !key.isEmpty { headers.add("x-api-key", key) }
        return HTTPRequest(
            method: .post, url: target.baseURL + "/v1/messages", headers: headers, body: JSON.object(body).serialized())
    }

    /// The conversation as Anthropic turns; consecutive tool results become one user turn.
    static func messages(_ conversation: [ChatMessage]) throws(LLMError) -> [JSON] {
        var out: [JSON] = []
        var pendingResults: [JSON] = []
        func flushResults() {
            if !pendingResults.isEmpty {
                out.append(["role": "user", "content": .array(pendingResults)])
                pendingResults = []
            }
        }
        for m in conversation {
            if m.role == .tool {
                pendingResults.append([
                    "type": "tool_result", "tool_use_id": .string(m.toolCallID ?? ""), "content": .string(m.text),
                ])
                continue
            }
            flushResults()
            // Anthropic refuses empty text blocks (an assistant turn that only calls tools has none).
            var blocks: [JSON] = m.content.filter { $0 != .text("") }.map { part in
                switch part {
                case .text(let t): ["type": "text", "text": .string(t)]
                case .image(.url(let url)): ["type": "image", "source": ["type": "url", "url": .string(url)]]
                case .image(.base64(let mediaType, let data)):
                    [
                        "type": "image",
                        "source": ["type": "base64", "media_type": .string(mediaType), "data": .string(data)],
                    ]
                }
            }
            for call in m.toolCalls {
                blocks.append([
                    "type": "tool_use", "id": .string(call.id), "name": .string(call.name),
                    "input": try Wire.arguments(call.arguments, provider: .anthropic),
                ])
            }
            out.append(["role": .string(m.role.rawValue), "content": .array(blocks)])
        }
        flushResults()
        return out
    }

    public func decode(_ response: HTTPResponse, request: ChatRequest, for target: ModelTarget) throws(LLMError)
        -> ChatResponse
    {
        let doc = try Wire.parse(response.body, provider: provider)
        guard doc["type"]?.stringValue == "message", let content = doc["content"]?.arrayValue else {
            throw .badResponse(provider: provider, detail: "not a message object")
        }
        var text = ""
        var calls: [ToolCall] = []
        for block in content {
            switch block["type"]?.stringValue {
            case "text": text += block["text"]?.stringValue ?? ""
            case "tool_use":
                guard let id = block["id"]?.stringValue, let name = block["name"]?.stringValue else {
                    throw .badResponse(provider: provider, detail: "tool_use block without id or name")
                }
                let input = block["input"] ?? [:]
                calls.append(
                    ToolCall(id: id, name: name, arguments: String(decoding: input.serialized(), as: UTF8.self)))
            default: break
            }
        }
        var usage = UsageAccumulator()
        let tokens =
            try usage.apply(doc["usage"]) ? usage.tokens : TokenEstimator.usage(request: request, output: text)
        return ChatResponse(
            model: doc["model"]?.stringValue ?? target.model, text: text,
            finishReason: Self.finishReason(doc["stop_reason"]?.stringValue), toolCalls: calls, usage: tokens,
            providerRequestID: response.headers["request-id"])
    }

    public func usage(in body: [UInt8]) -> UsageRecord.Tokens? {
        var usage = UsageAccumulator()
        guard let doc = try? JSON.parse(body), (try? usage.apply(doc["usage"])) == true else { return nil }
        return usage.tokens
    }

    /// Folds Anthropic `usage` objects into token counts: fields present replace earlier values
    /// (stream events repeat cumulative figures), and input is normalised to include cache reads
    /// (`cached`) and cache writes (`cacheWrite`), each figure range-checked and the sum checked.
    struct UsageAccumulator {
        var input: Int64 = 0
        var read: Int64 = 0
        var write: Int64 = 0
        var output: Int64 = 0
        var tokens = UsageRecord.Tokens(input: 0, output: 0)

        /// Returns false when there is no usage object.
        mutating func apply(_ u: JSON?) throws(LLMError) -> Bool {
            guard let u, case .object = u else { return false }
            let p = ProviderID.anthropic
            if let v = try TokenCount.read(u["input_tokens"], field: "input_tokens", provider: p) { input = v }
            if let v = try TokenCount.read(u["cache_read_input_tokens"], field: "cache_read_input_tokens", provider: p)
            {
                read = v
            }
            if let v = try TokenCount.read(
                u["cache_creation_input_tokens"], field: "cache_creation_input_tokens", provider: p)
            {
                write = v
            }
            if let v = try TokenCount.read(u["output_tokens"], field: "output_tokens", provider: p) { output = v }
            tokens = UsageRecord.Tokens(
                input: try TokenCount.sum(input, read, write, field: "input_tokens (with cache)", provider: p),
                output: output, cached: read, cacheWrite: write)
            return true
        }
    }

    static func finishReason(_ raw: String?) -> FinishReason {
        switch raw {
        case "end_turn", "stop_sequence", "pause_turn", nil: .stop
        case "max_tokens": .length
        case "tool_use": .toolUse
        case "refusal": .contentFilter
        default: .other
        }
    }

    public func error(status: Int, headers: HTTPHeaders, body: [UInt8]) -> LLMError {
        let doc = try? JSON.parse(body)
        let message = doc?["error"]?["message"]?.stringValue.map(Wire.excerpt) ?? Wire.excerpt(body)
        return Self.error(status: status, type: doc?["error"]?["type"]?.stringValue, message: message, headers: headers)
    }

    static func error(status: Int, type: String?, message: String, headers: HTTPHeaders) -> LLMError {
        let contextExceeded = type == "invalid_request_error" && message.contains(text: "prompt is too long")
        switch type {
        case "overloaded_error":
            return .upstream(provider: .anthropic, status: status == 200 ? 529 : status, message: message)
        case "rate_limit_error":
            return .rateLimited(provider: .anthropic, message: message, retryAfter: Wire.retryAfter(headers))
        case "api_error" where status == 200: return .upstream(provider: .anthropic, status: 500, message: message)
        default:
            return Wire.classify(
                provider: .anthropic, status: status, message: message, headers: headers,
                contextExceeded: contextExceeded)
        }
    }

    public func makeStreamAccumulator(request: ChatRequest, for target: ModelTarget) -> any StreamAccumulator {
        AnthropicStreamAccumulator(request: request, model: target.model)
    }
}

/// `message_start` (input usage), `content_block_*` (text deltas; `tool_use` blocks whose input
/// arrives as `input_json_delta` pieces), `message_delta` (stop reason, output usage),
/// `message_stop`; `ping` is ignored and `error` ends the call.
final class AnthropicStreamAccumulator: StreamAccumulator {
    let request: ChatRequest
    var model: String
    var onText: ((String) -> Void)?
    private var blocks = StreamedBlocks()
    private(set) var isComplete = false
    private var usage = AnthropicCodec.UsageAccumulator()
    private var sawUsage = false
    private var stopReason: String?

    init(request: ChatRequest, model: String) {
        self.request = request
        self.model = model
    }

    var text: String { blocks.text }
    var hasOutput: Bool { blocks.hasOutput }
    var reportedUsage: UsageRecord.Tokens? { sawUsage ? usage.tokens : nil }

    func consume(_ event: SSEEvent) throws(LLMError) {
        let doc: JSON
        do { doc = try JSON.parse(event.data) } catch {
            throw .badResponse(provider: .anthropic, detail: "stream event is not valid JSON (\(error))")
        }
        let type = doc["type"]?.stringValue ?? event.event ?? ""
        switch type {
        case "message_start":
            if let m = doc["message"]?["model"]?.stringValue { model = m }
            if try usage.apply(doc["message"]?["usage"]) { sawUsage = true }
        case "content_block_start":
            let block = doc["content_block"]
            if block?["type"]?.stringValue == "tool_use" {
                blocks.startTool(
                    at: try index(doc), id: block?["id"]?.stringValue ?? "", name: block?["name"]?.stringValue ?? "")
            }
        case "content_block_delta":
            switch doc["delta"]?["type"]?.stringValue {
            case "text_delta":
                if let piece = doc["delta"]?["text"]?.stringValue {
                    blocks.appendText(piece)
                    onText?(piece)
                }
            case "input_json_delta":
                let piece = doc["delta"]?["partial_json"]?.stringValue ?? ""
                guard blocks.appendToolInput(piece, at: try index(doc)) else {
                    throw .badResponse(provider: .anthropic, detail: "input_json_delta for a block that is no tool_use")
                }
            default: break
            }
        case "message_delta":
            if let r = doc["delta"]?["stop_reason"]?.stringValue { stopReason = r }
            if try usage.apply(doc["usage"]) { sawUsage = true }
        case "message_stop":
            isComplete = true
        case "error":
            throw AnthropicCodec.error(
                status: 200, type: doc["error"]?["type"]?.stringValue,
                message: Wire.excerpt(doc["error"]?["message"]?.stringValue ?? "error event in stream"), headers: [:])
        default:
            break  // ping, content_block_stop, and event types added later
        }
    }

    private func index(_ doc: JSON) throws(LLMError) -> Int {
        try StreamedBlocks.index(doc["index"], field: "index", provider: .anthropic)
    }

    func response(providerRequestID: String?) -> ChatResponse {
        let text = self.text
        return ChatResponse(
            model: model, text: text, finishReason: AnthropicCodec.finishReason(stopReason),
            toolCalls: blocks.toolCalls,
            usage: sawUsage ? usage.tokens : TokenEstimator.usage(request: request, output: text),
            providerRequestID: providerRequestID)
    }
}
