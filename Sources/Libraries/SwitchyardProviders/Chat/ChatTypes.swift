/// Who wrote a message. Providers that take the system prompt separately (Anthropic, Bedrock)
/// get the `.system` messages lifted out by their codec.
public enum ChatRole: String, Sendable, Equatable, Codable, CaseIterable {
    case system, user, assistant
}

/// An image given to a vision-capable model.
public enum ImageSource: Sendable, Equatable {
    /// An `https://` URL the provider fetches itself.
    case url(String)
    /// Inline bytes, base64-encoded, with their media type (`image/jpeg`, `image/png`, `image/gif`, `image/webp`).
    case base64(mediaType: String, data: String)
}

public enum ContentPart: Sendable, Equatable {
    case text(String)
    case image(ImageSource)
}

public struct ChatMessage: Sendable, Equatable {
    public var role: ChatRole
    public var content: [ContentPart]

    public init(role: ChatRole, content: [ContentPart]) {
        self.role = role
        self.content = content
    }

    public init(role: ChatRole, text: String) { self.init(role: role, content: [.text(text)]) }

    /// All text parts joined; what a provider that takes plain strings receives.
    public var text: String {
        content.compactMap { if case .text(let t) = $0 { t } else { nil } }.joined(separator: "\n")
    }
}

public enum ResponseFormat: String, Sendable, Equatable, Codable {
    case text, json
}

/// A provider-neutral chat request. Codecs turn it into each provider's wire format.
public struct ChatRequest: Sendable, Equatable {
    public var messages: [ChatMessage]
    public var maxTokens: Int?
    public var temperature: Double?
    public var topP: Double?
    public var stop: [String]
    public var responseFormat: ResponseFormat
    public var stream: Bool

    public init(
        messages: [ChatMessage], maxTokens: Int? = nil, temperature: Double? = nil, topP: Double? = nil,
        stop: [String] = [], responseFormat: ResponseFormat = .text, stream: Bool = false
    ) {
        self.messages = messages
        self.maxTokens = maxTokens
        self.temperature = temperature
        self.topP = topP
        self.stop = stop
        self.responseFormat = responseFormat
        self.stream = stream
    }

    /// The system prompt: every `.system` message's text, in order.
    public var systemPrompt: String? {
        let parts = messages.filter { $0.role == .system }.map(\.text)
        return parts.isEmpty ? nil : parts.joined(separator: "\n\n")
    }

    /// The messages other than `.system` ones.
    public var conversation: [ChatMessage] { messages.filter { $0.role != .system } }
}

/// Token counts as billing needs them, normalised across providers.
///
/// `inputTokens` counts every prompt token the provider processed, cached or not (OpenAI's
/// `prompt_tokens`; Anthropic's `input_tokens + cache_read_input_tokens +
/// cache_creation_input_tokens`); `cachedInputTokens` and `cacheCreationInputTokens` are parts
/// of it. `outputTokens` counts every generated token, and `reasoningTokens` is the part of it
/// spent on hidden reasoning. Uncached, non-written input is therefore
/// `inputTokens - cachedInputTokens - cacheCreationInputTokens`.
public struct TokenUsage: Sendable, Equatable, Codable {
    public var inputTokens: Int
    public var outputTokens: Int
    public var cachedInputTokens: Int
    public var reasoningTokens: Int
    public var cacheCreationInputTokens: Int
    /// True when some figure was not reported by the provider but estimated here.
    public var estimated: Bool

    public init(
        inputTokens: Int = 0, outputTokens: Int = 0, cachedInputTokens: Int = 0, reasoningTokens: Int = 0,
        cacheCreationInputTokens: Int = 0, estimated: Bool = false
    ) {
        self.inputTokens = inputTokens
        self.outputTokens = outputTokens
        self.cachedInputTokens = cachedInputTokens
        self.reasoningTokens = reasoningTokens
        self.cacheCreationInputTokens = cacheCreationInputTokens
        self.estimated = estimated
    }

    public var totalTokens: Int { inputTokens + outputTokens }
}

/// Why generation stopped, normalised.
public enum FinishReason: String, Sendable, Equatable, Codable {
    case stop, length
    case contentFilter = "content_filter"
    case toolUse = "tool_use"
    case other
}

/// A provider's answer, normalised.
public struct ChatResponse: Sendable, Equatable {
    /// The model id as the provider reported it (may be more specific than the one requested).
    public var model: String
    public var text: String
    public var finishReason: FinishReason
    public var usage: TokenUsage
    /// The provider's request id (`x-request-id`, `request-id`, `x-amzn-RequestId`), for support tickets.
    public var providerRequestID: String?
    /// From sending the request to the first generated text (streamed calls only).
    public var timeToFirstToken: Duration?

    public init(
        model: String, text: String, finishReason: FinishReason, usage: TokenUsage, providerRequestID: String? = nil,
        timeToFirstToken: Duration? = nil
    ) {
        self.model = model
        self.text = text
        self.finishReason = finishReason
        self.usage = usage
        self.providerRequestID = providerRequestID
        self.timeToFirstToken = timeToFirstToken
    }
}
