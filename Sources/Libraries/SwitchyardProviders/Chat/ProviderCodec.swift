import SwitchyardContract
import SwitchyardHTTP
import SwitchyardJSON

/// One model at one provider, with what is needed to reach it. Built by the caller from its own
/// configuration (the catalog, the environment, Secrets Manager), never from an event.
public struct ModelTarget: Sendable, Equatable {
    public var provider: ProviderID
    /// The name the provider knows the model by (the catalog's `providerModel`).
    public var model: String
    /// Scheme, host and optional port (and path prefix), without a trailing slash.
    public var baseURL: String
    /// API key for OpenAI/Anthropic/compatible servers; never logged.
    public var apiKey: String?
    /// AWS region, for Bedrock.
    public var region: String?
    /// The model's own output limit: caps `maxTokens`, and is what providers that require a
    /// limit (Anthropic, Bedrock) get when the request sets none.
    public var maxOutputTokens: Int?

    public init(
        provider: ProviderID, model: String, baseURL: String, apiKey: String? = nil, region: String? = nil,
        maxOutputTokens: Int? = nil
    ) {
        self.provider = provider
        self.model = model
        self.baseURL = baseURL.hasSuffix("/") ? String(baseURL.dropLast()) : baseURL
        self.apiKey = apiKey
        self.region = region
        self.maxOutputTokens = maxOutputTokens
    }

    /// The key used for cooldown bookkeeping: one provider endpoint.
    public var endpointKey: String { "\(provider.rawValue) \(baseURL)" }
}

/// Translates between `ChatRequest`/`ChatResponse` and one provider's wire format.
public protocol ProviderCodec: Sendable {
    var provider: ProviderID { get }
    /// The complete HTTP request, authentication included.
    /// - Throws: `LLM.UnsupportedContent` when this provider cannot take the request's content.
    func encode(_ request: ChatRequest, for target: ModelTarget) throws(LLMError) -> HTTPRequest
    /// Decodes a 2xx buffered response. `request` is there to estimate usage a provider omits.
    func decode(_ response: HTTPResponse, request: ChatRequest, for target: ModelTarget) throws(LLMError)
        -> ChatResponse
    /// Usage from a 2xx body even when the rest does not decode, for billing a failed attempt;
    /// nil when there is none or it is out of range.
    func usage(in body: [UInt8]) -> UsageRecord.Tokens?
    /// Maps a non-2xx response to a typed error carrying the provider's message.
    func error(status: Int, headers: HTTPHeaders, body: [UInt8]) -> LLMError
    /// False when streamed requests must be sent buffered.
    var supportsStreaming: Bool { get }
    /// How a streamed body is framed.
    var streamFraming: StreamFraming { get }
    /// A fresh accumulator for one streamed response.
    func makeStreamAccumulator(request: ChatRequest, for target: ModelTarget) -> any StreamAccumulator
}

extension ProviderCodec {
    public var supportsStreaming: Bool { true }
    public var streamFraming: StreamFraming { .serverSentEvents }
}

/// The framings streamed responses come in.
public enum StreamFraming: Sendable, Equatable {
    /// `text/event-stream` (OpenAI, Anthropic, compatible servers).
    case serverSentEvents
    /// `application/vnd.amazon.eventstream` (Bedrock ConverseStream).
    case awsEventStream

    var contentType: String {
        switch self {
        case .serverSentEvents: "text/event-stream"
        case .awsEventStream: "application/vnd.amazon.eventstream"
        }
    }
}

/// Builds a `ChatResponse` from a provider's stream, event by event.
public protocol StreamAccumulator: AnyObject {
    /// Consumes one event. Throws for error events and malformed payloads.
    func consume(_ event: SSEEvent) throws(LLMError)
    /// True once the provider's terminator (`[DONE]`, `message_stop`) has arrived.
    var isComplete: Bool { get }
    /// True once any generated text or tool call has arrived (marks time to first token).
    var hasOutput: Bool { get }
    /// Usage reported so far (complete only when `isComplete`); `nil` when none was reported.
    var reportedUsage: UsageRecord.Tokens? { get }
    /// Text received so far.
    var text: String { get }
    /// Called with each piece of answer text as it is consumed (the streaming front door).
    var onText: ((String) -> Void)? { get set }
    /// The response, once complete.
    func response(providerRequestID: String?) -> ChatResponse
}

/// Shared helpers for codecs.
enum Wire {
    static func parse(_ body: [UInt8], provider: ProviderID) throws(LLMError) -> JSON {
        do {
            return try JSON.parse(body)
        } catch {
            throw .badResponse(provider: provider, detail: "body is not valid JSON (\(error))")
        }
    }

    /// Longest wait a `retry-after` header may ask for; anything longer reads as this (and
    /// `RetryPolicy` then falls back instead of waiting). Keeps `Duration` arithmetic in range.
    static let maxRetryAfterMilliseconds: Double = 86_400_000

    /// `retry-after-ms` (OpenAI), then `retry-after` in seconds; HTTP-date forms, negatives, NaN
    /// and infinities are ignored, and huge values are capped at a day, so no header can trap
    /// the conversion (`retry-after-ms: 1e19`).
    static func retryAfter(_ headers: HTTPHeaders) -> Duration? {
        func milliseconds(_ text: String?, scale: Double) -> Duration? {
            guard let text, text.utf8.count <= 32, let value = Double(text), value.isFinite, value >= 0 else {
                return nil
            }
            return .milliseconds(Int64(min(value * scale, maxRetryAfterMilliseconds)))
        }
        return milliseconds(headers["retry-after-ms"], scale: 1) ?? milliseconds(headers["retry-after"], scale: 1000)
    }

    /// The usual mapping of a status to an error; codecs refine context-window and auth cases.
    static func classify(
        provider: ProviderID, status: Int, message: String, headers: HTTPHeaders, contextExceeded: Bool
    ) -> LLMError {
        if contextExceeded { return .contextWindowExceeded("\(provider.rawValue): \(message)") }
        switch status {
        case 429: return .rateLimited(provider: provider, message: message, retryAfter: retryAfter(headers))
        case 401, 403: return .authentication(provider: provider, message: message)
        case 408: return .timeout(provider: provider, milliseconds: 0)
        case 500...599: return .upstream(provider: provider, status: status, message: message)
        default: return .rejected(provider: provider, status: status, message: message)
        }
    }

    /// A short, single-line excerpt of an error body or message.
    static func excerpt(_ body: [UInt8]) -> String { excerpt(String(decoding: body.prefix(300), as: UTF8.self)) }

    static func excerpt(_ text: String) -> String {
        String(text.prefix(300).map { $0 == "\n" || $0 == "\r" ? " " : $0 })
    }

    /// The JSON a tool call's `arguments` text holds (Anthropic and Bedrock take an object);
    /// an empty string is `{}`.
    static func arguments(_ text: String, provider: ProviderID) throws(LLMError) -> JSON {
        if text.isEmpty { return [:] }
        do { return try JSON.parse(Array(text.utf8)) } catch {
            throw .invalidRequest("tool call arguments for \(provider.rawValue) are not valid JSON: \(error)")
        }
    }

    /// The tool's parameter schema, or an empty object schema (providers that require one).
    static func schema(_ tool: ToolDefinition) -> JSON {
        tool.parameters ?? ["type": "object", "properties": [:]]
    }
}
