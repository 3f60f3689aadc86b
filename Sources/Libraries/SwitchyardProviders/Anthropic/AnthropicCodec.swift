import SwitchyardHTTP
import SwitchyardJSON

/// Anthropic Messages (`POST /v1/messages`, `anthropic-version: 2023-06-01`).
public struct AnthropicCodec: ProviderCodec {
    public let name = "anthropic"
    public static let apiVersion = "2023-06-01"
    /// Anthropic requires `max_tokens`; this is sent when the request leaves it open.
    public var defaultMaxTokens: Int

    public init(defaultMaxTokens: Int = 1024) { self.defaultMaxTokens = defaultMaxTokens }

    public func encode(_ request: ChatRequest, for target: ModelTarget) throws(LLMError) -> HTTPRequest {
        var body = JSONObject()
        body["model"] = .string(target.model)
        body["max_tokens"] = .integer(Int64(request.maxTokens ?? defaultMaxTokens))
        if let system = request.systemPrompt { body["system"] = .string(system) }
        body["messages"] = .array(request.conversation.map(Self.message))
        if let t = request.temperature { body["temperature"] = .double(t) }
        if let p = request.topP { body["top_p"] = .double(p) }
        if !request.stop.isEmpty { body["stop_sequences"] = .array(request.stop.map { .string($0) }) }
        if request.stream { body["stream"] = true }
        var headers: HTTPHeaders = ["Content-Type": "application/json", "anthropic-version": Self.apiVersion]
        if request.stream { headers.add("Accept", "text/event-stream") }
        if let key = target.apiKey, !key.isEmpty { headers.add("x-api-key", key) }
        return HTTPRequest(
            method: .post, url: target.baseURL + "/v1/messages", headers: headers, body: JSON.object(body).serialized())
    }

    static func message(_ m: ChatMessage) -> JSON {
        let blocks: [JSON] = m.content.map { part in
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
        return ["role": .string(m.role.rawValue), "content": .array(blocks)]
    }

    public func decode(_ response: HTTPResponse, request: ChatRequest, for target: ModelTarget) throws(LLMError)
        -> ChatResponse
    {
        let doc = try Wire.parse(response.body, provider: name)
        guard doc["type"]?.stringValue == "message", let content = doc["content"]?.arrayValue else {
            throw .badResponse(provider: name, detail: "not a message object")
        }
        let text = content.compactMap { $0["type"]?.stringValue == "text" ? $0["text"]?.stringValue : nil }.joined()
        var usage = TokenUsage()
        if !Self.apply(doc["usage"], to: &usage) { usage = TokenEstimator.usage(request: request, output: text) }
        return ChatResponse(
            model: doc["model"]?.stringValue ?? target.model, text: text,
            finishReason: Self.finishReason(doc["stop_reason"]?.stringValue), usage: usage,
            providerRequestID: response.headers["request-id"])
    }

    public func usage(in body: [UInt8]) -> TokenUsage? {
        var usage = TokenUsage()
        guard let doc = try? JSON.parse(body), Self.apply(doc["usage"], to: &usage) else { return nil }
        return usage
    }

    /// Folds an Anthropic `usage` object into `usage`: fields present replace earlier values
    /// (stream events repeat cumulative figures), and input is normalised to include cache reads
    /// and writes. Returns false when there is no usage object.
    @discardableResult
    static func apply(_ u: JSON?, to usage: inout TokenUsage, raw: inout (input: Int, read: Int, write: Int)) -> Bool {
        guard let u, case .object = u else { return false }
        if let v = Wire.int(u["input_tokens"]) { raw.input = v }
        if let v = Wire.int(u["cache_read_input_tokens"]) { raw.read = v }
        if let v = Wire.int(u["cache_creation_input_tokens"]) { raw.write = v }
        if let v = Wire.int(u["output_tokens"]) { usage.outputTokens = v }
        usage.inputTokens = raw.input + raw.read + raw.write
        usage.cachedInputTokens = raw.read
        usage.cacheCreationInputTokens = raw.write
        return true
    }

    static func apply(_ u: JSON?, to usage: inout TokenUsage) -> Bool {
        var raw = (input: 0, read: 0, write: 0)
        return apply(u, to: &usage, raw: &raw)
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
        let message = doc?["error"]?["message"]?.stringValue ?? Wire.excerpt(body)
        return Self.error(status: status, type: doc?["error"]?["type"]?.stringValue, message: message, headers: headers)
    }

    static func error(status: Int, type: String?, message: String, headers: HTTPHeaders) -> LLMError {
        let contextExceeded = type == "invalid_request_error" && message.contains("prompt is too long")
        switch type {
        case "overloaded_error":
            return .upstream(provider: "anthropic", status: status == 200 ? 529 : status, message: message)
        case "rate_limit_error":
            return .rateLimited(provider: "anthropic", message: message, retryAfter: Wire.retryAfter(headers))
        case "api_error" where status == 200: return .upstream(provider: "anthropic", status: 500, message: message)
        default:
            return Wire.classify(
                provider: "anthropic", status: status, message: message, headers: headers,
                contextExceeded: contextExceeded)
        }
    }

    public func makeStreamAccumulator(request: ChatRequest, for target: ModelTarget) -> any StreamAccumulator {
        AnthropicStreamAccumulator(request: request, model: target.model)
    }
}

/// `message_start` (input usage), `content_block_*`, `message_delta` (stop reason, output
/// usage), `message_stop`; `ping` is ignored and `error` ends the call.
final class AnthropicStreamAccumulator: StreamAccumulator {
    let request: ChatRequest
    var model: String
    private var parts: [String] = []
    private(set) var isComplete = false
    private(set) var hasOutput = false
    private var usage = TokenUsage()
    private var raw = (input: 0, read: 0, write: 0)
    private var sawUsage = false
    private var stopReason: String?

    init(request: ChatRequest, model: String) {
        self.request = request
        self.model = model
    }

    var text: String { parts.joined() }
    var reportedUsage: TokenUsage? { sawUsage ? usage : nil }

    func consume(_ event: SSEEvent) throws(LLMError) {
        let doc: JSON
        do { doc = try JSON.parse(event.data) } catch {
            throw .badResponse(provider: "anthropic", detail: "stream event is not valid JSON (\(error))")
        }
        let type = doc["type"]?.stringValue ?? event.event ?? ""
        switch type {
        case "message_start":
            if let m = doc["message"]?["model"]?.stringValue { model = m }
            if AnthropicCodec.apply(doc["message"]?["usage"], to: &usage, raw: &raw) { sawUsage = true }
        case "content_block_delta":
            if doc["delta"]?["type"]?.stringValue == "text_delta", let piece = doc["delta"]?["text"]?.stringValue {
                parts.append(piece)
                hasOutput = true
            }
        case "message_delta":
            if let r = doc["delta"]?["stop_reason"]?.stringValue { stopReason = r }
            if AnthropicCodec.apply(doc["usage"], to: &usage, raw: &raw) { sawUsage = true }
        case "message_stop":
            isComplete = true
        case "error":
            throw AnthropicCodec.error(
                status: 200, type: doc["error"]?["type"]?.stringValue,
                message: doc["error"]?["message"]?.stringValue ?? "error event in stream", headers: [:])
        default:
            break  // ping, content_block_start/stop, and event types added later
        }
    }

    func response(providerRequestID: String?) -> ChatResponse {
        let text = self.text
        return ChatResponse(
            model: model, text: text, finishReason: AnthropicCodec.finishReason(stopReason),
            usage: sawUsage ? usage : TokenEstimator.usage(request: request, output: text),
            providerRequestID: providerRequestID)
    }
}
