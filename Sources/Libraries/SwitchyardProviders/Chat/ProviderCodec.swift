import SwitchyardHTTP
import SwitchyardJSON

/// The providers Switchyard can call.
public enum ProviderKind: String, Sendable, Equatable, Codable, CaseIterable {
    case openai
    case anthropic
    /// Any server that speaks OpenAI Chat Completions (llama.cpp, vLLM, ...).
    case openaiCompatible = "openai-compatible"
    case bedrock

    /// Where the provider lives when the router does not say.
    public var defaultBaseURL: String? {
        switch self {
        case .openai: "https://api.openai.com"
        case .anthropic: "https://api.anthropic.com"
        case .openaiCompatible: nil
        case .bedrock: nil  // regional: https://bedrock-runtime.<region>.amazonaws.com
        }
    }
}

/// One model at one provider, with what is needed to reach it.
public struct ModelTarget: Sendable, Equatable {
    public var provider: ProviderKind
    public var model: String
    /// Scheme, host and optional port (and path prefix), without a trailing slash.
    public var baseURL: String
    /// API key for OpenAI/Anthropic/compatible servers; never logged.
    public var apiKey: String?
    /// AWS region, for Bedrock.
    public var region: String?

    public init(provider: ProviderKind, model: String, baseURL: String, apiKey: String? = nil, region: String? = nil) {
        self.provider = provider
        self.model = model
        self.baseURL = baseURL.hasSuffix("/") ? String(baseURL.dropLast()) : baseURL
        self.apiKey = apiKey
        self.region = region
    }

    /// The key used for cooldown bookkeeping: one provider endpoint.
    public var endpointKey: String { "\(provider.rawValue) \(baseURL)" }
}

/// Translates between `ChatRequest`/`ChatResponse` and one provider's wire format.
public protocol ProviderCodec: Sendable {
    /// Short provider name used in errors and attempt records.
    var name: String { get }
    /// The complete HTTP request, authentication included.
    func encode(_ request: ChatRequest, for target: ModelTarget) throws(LLMError) -> HTTPRequest
    /// Decodes a 2xx buffered response. `request` is there to estimate usage a provider omits.
    func decode(_ response: HTTPResponse, request: ChatRequest, for target: ModelTarget) throws(LLMError)
        -> ChatResponse
    /// Usage from a 2xx body even when the rest does not decode, for billing a failed attempt.
    func usage(in body: [UInt8]) -> TokenUsage?
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
    /// True once any generated text has arrived (marks time to first token).
    var hasOutput: Bool { get }
    /// Usage reported so far (complete only when `isComplete`); `nil` when none was reported.
    var reportedUsage: TokenUsage? { get }
    /// Text received so far.
    var text: String { get }
    /// The response, once complete.
    func response(providerRequestID: String?) -> ChatResponse
}

/// Shared helpers for codecs.
enum Wire {
    static func parse(_ body: [UInt8], provider: String) throws(LLMError) -> JSON {
        do {
            return try JSON.parse(body)
        } catch {
            throw .badResponse(provider: provider, detail: "body is not valid JSON (\(error))")
        }
    }

    static func int(_ value: JSON?) -> Int? { value?.int64Value.map { Int($0) } }

    /// `retry-after-ms` (OpenAI), then `retry-after` in seconds; HTTP-date forms are ignored.
    static func retryAfter(_ headers: HTTPHeaders) -> Duration? {
        if let ms = headers["retry-after-ms"].flatMap(Double.init), ms >= 0 { return .milliseconds(Int64(ms)) }
        if let s = headers["retry-after"].flatMap(Double.init), s >= 0 { return .milliseconds(Int64(s * 1000)) }
        return nil
    }

    /// The usual mapping of a status to an error; codecs refine context-window and auth cases.
    static func classify(
        provider: String, status: Int, message: String, headers: HTTPHeaders, contextExceeded: Bool
    ) -> LLMError {
        if contextExceeded { return .contextWindowExceeded("\(provider): \(message)") }
        switch status {
        case 429: return .rateLimited(provider: provider, message: message, retryAfter: retryAfter(headers))
        case 401, 403: return .authentication(provider: provider, message: message)
        case 408: return .timeout(provider: provider, milliseconds: 0)
        case 500...599: return .upstream(provider: provider, status: status, message: message)
        default: return .rejected(provider: provider, status: status, message: message)
        }
    }

    /// A short, single-line excerpt of a non-JSON error body.
    static func excerpt(_ body: [UInt8]) -> String {
        let text = String(decoding: body.prefix(300), as: UTF8.self)
        return String(text.map { $0 == "\n" || $0 == "\r" ? " " : $0 })
    }
}
