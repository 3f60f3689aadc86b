import SwitchyardHTTP
import SwitchyardJSON

/// OpenAI Chat Completions (`POST /v1/chat/completions`), also used for OpenAI-compatible
/// servers (llama.cpp, vLLM), which take the same wire format with `max_tokens`.
public struct OpenAICodec: ProviderCodec {
    public let name: String
    /// OpenAI proper wants `max_completion_tokens`; compatible servers know only `max_tokens`.
    let compatible: Bool

    public init(compatible: Bool = false) {
        self.compatible = compatible
        self.name = compatible ? "openai-compatible" : "openai"
    }

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
        if request.responseFormat == .json { body["response_format"] = ["type": "json_object"] }
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
        let content: JSON
        if m.content.count == 1, case .text(let t) = m.content[0] {
            content = .string(t)
        } else {
            content = .array(
                m.content.map { part in
                    switch part {
                    case .text(let t): ["type": "text", "text": .string(t)]
                    case .image(.url(let url)): ["type": "image_url", "image_url": ["url": .string(url)]]
                    case .image(.base64(let mediaType, let data)):
                        ["type": "image_url", "image_url": ["url": .string("data:\(mediaType);base64,\(data)")]]
                    }
                })
        }
        return ["role": .string(m.role.rawValue), "content": content]
    }

    public func decode(_ response: HTTPResponse, request: ChatRequest, for target: ModelTarget) throws(LLMError)
        -> ChatResponse
    {
        let doc = try Wire.parse(response.body, provider: name)
        guard let choice = doc["choices"]?[0], let message = choice["message"] else {
            throw .badResponse(provider: name, detail: "no choices[0].message")
        }
        let text = message["content"]?.stringValue ?? ""
        let usage = Self.usage(doc["usage"]) ?? TokenEstimator.usage(request: request, output: text)
        return ChatResponse(
            model: doc["model"]?.stringValue ?? target.model, text: text,
            finishReason: Self.finishReason(choice["finish_reason"]?.stringValue), usage: usage,
            providerRequestID: response.headers["x-request-id"])
    }

    public func usage(in body: [UInt8]) -> TokenUsage? {
        (try? JSON.parse(body)).flatMap { Self.usage($0["usage"]) }
    }

    /// `usage` with its `*_details`; `nil` when absent or null.
    static func usage(_ u: JSON?) -> TokenUsage? {
        guard let u, case .object = u else { return nil }
        return TokenUsage(
            inputTokens: Wire.int(u["prompt_tokens"]) ?? 0,
            outputTokens: Wire.int(u["completion_tokens"]) ?? 0,
            cachedInputTokens: Wire.int(u["prompt_tokens_details"]?["cached_tokens"]) ?? 0,
            reasoningTokens: Wire.int(u["completion_tokens_details"]?["reasoning_tokens"]) ?? 0)
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
        let message = error?["message"]?.stringValue ?? error?.stringValue ?? Wire.excerpt(body)
        let code = error?["code"]?.stringValue ?? ""
        return Wire.classify(
            provider: name, status: status, message: message, headers: headers,
            contextExceeded: code == "context_length_exceeded"
                || (status == 400 && message.contains("maximum context length")))
    }

    public func makeStreamAccumulator(request: ChatRequest, for target: ModelTarget) -> any StreamAccumulator {
        OpenAIStreamAccumulator(provider: name, request: request, model: target.model)
    }
}

/// `data: {chunk}` events until `data: [DONE]`; usage arrives in a last chunk with empty
/// `choices` when `stream_options.include_usage` was set.
final class OpenAIStreamAccumulator: StreamAccumulator {
    let provider: String
    let request: ChatRequest
    var model: String
    private var parts: [String] = []
    private(set) var isComplete = false
    private(set) var hasOutput = false
    private(set) var reportedUsage: TokenUsage?
    private var finish: String?

    init(provider: String, request: ChatRequest, model: String) {
        self.provider = provider
        self.request = request
        self.model = model
    }

    var text: String { parts.joined() }

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
                provider: provider, status: 200, message: error["message"]?.stringValue ?? "error event in stream")
        }
        if let m = doc["model"]?.stringValue { model = m }
        if let choice = doc["choices"]?[0] {
            if let piece = choice["delta"]?["content"]?.stringValue, !piece.isEmpty {
                parts.append(piece)
                hasOutput = true
            }
            if let f = choice["finish_reason"]?.stringValue { finish = f }
        }
        if let usage = OpenAICodec.usage(doc["usage"]) { reportedUsage = usage }
    }

    func response(providerRequestID: String?) -> ChatResponse {
        let text = self.text
        return ChatResponse(
            model: model, text: text, finishReason: OpenAICodec.finishReason(finish),
            usage: reportedUsage ?? TokenEstimator.usage(request: request, output: text),
            providerRequestID: providerRequestID)
    }
}
