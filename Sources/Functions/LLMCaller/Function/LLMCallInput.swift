/// The llm-caller's event: the request plus the router's decision (ordered model candidates
/// and timeouts). Defined here rather than shared with the router so the two functions can
/// evolve separately; Step Functions maps the router's output onto this shape.
public struct LLMCallInput: Codable, Sendable, Equatable {
    public var requestId: String
    public var tenantId: String?
    public var messages: [InputMessage]
    public var maxTokens: Int?
    public var temperature: Double?
    public var topP: Double?
    public var stop: [String]?
    /// `text` (default) or `json`.
    public var responseFormat: String?
    public var stream: Bool?
    /// Preference order: the primary model first, then fallbacks.
    public var candidates: [InputCandidate]
    /// Default per-attempt timeout for candidates that set none.
    public var attemptTimeoutMs: Int?
    /// Overrides the configured attempts per model (1 = no retry).
    public var maxAttemptsPerModel: Int?
    /// `throw` (default): a failed call is a function error whose type is the last attempt's;
    /// `return`: the failure comes back as output with `outcome: "failed"`, attempts included.
    public var onFailure: String?

    public init(
        requestId: String, tenantId: String? = nil, messages: [InputMessage], maxTokens: Int? = nil,
        temperature: Double? = nil,
        topP: Double? = nil, stop: [String]? = nil, responseFormat: String? = nil, stream: Bool? = nil,
        candidates: [InputCandidate], attemptTimeoutMs: Int? = nil, maxAttemptsPerModel: Int? = nil,
        onFailure: String? = nil
    ) {
        self.requestId = requestId
        self.tenantId = tenantId
        self.messages = messages
        self.maxTokens = maxTokens
        self.temperature = temperature
        self.topP = topP
        self.stop = stop
        self.responseFormat = responseFormat
        self.stream = stream
        self.candidates = candidates
        self.attemptTimeoutMs = attemptTimeoutMs
        self.maxAttemptsPerModel = maxAttemptsPerModel
        self.onFailure = onFailure
    }
}

public struct InputMessage: Codable, Sendable, Equatable {
    /// `system`, `user` or `assistant`; anything else is refused with `LLM.InvalidRequest`.
    public var role: String
    public var content: InputContent

    public init(role: String, content: InputContent) {
        self.role = role
        self.content = content
    }
}

/// A plain string, or a list of parts.
public enum InputContent: Codable, Sendable, Equatable {
    case text(String)
    case parts([InputPart])

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let text = try? container.decode(String.self) {
            self = .text(text)
        } else {
            self = .parts(try container.decode([InputPart].self))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .text(let t): try container.encode(t)
        case .parts(let p): try container.encode(p)
        }
    }
}

/// `{"type":"text","text":…}`, `{"type":"image","url":"https://…"}` or
/// `{"type":"image","mediaType":"image/png","data":"<base64>"}` (a `data:` URL also works).
/// OpenAI's own form, `{"type":"image_url","image_url":{"url":…}}`, is accepted as well, since
/// that is what clients send the router.
public struct InputPart: Codable, Sendable, Equatable {
    public var type: String
    public var text: String?
    public var url: String?
    public var mediaType: String?
    public var data: String?
    public var imageURL: OpenAIImageURL?

    public struct OpenAIImageURL: Codable, Sendable, Equatable {
        public var url: String
        public init(url: String) { self.url = url }
    }

    enum CodingKeys: String, CodingKey {
        case type, text, url, mediaType, data
        case imageURL = "image_url"
    }

    public init(
        type: String, text: String? = nil, url: String? = nil, mediaType: String? = nil, data: String? = nil,
        imageURL: OpenAIImageURL? = nil
    ) {
        self.type = type
        self.text = text
        self.url = url
        self.mediaType = mediaType
        self.data = data
        self.imageURL = imageURL
    }
}

public struct InputCandidate: Codable, Sendable, Equatable {
    /// `openai`, `anthropic`, `openai-compatible` or `bedrock`.
    public var provider: String
    public var model: String
    /// Overrides the provider's default endpoint (required for `openai-compatible` unless configured).
    public var baseURL: String?
    /// AWS region for Bedrock.
    public var region: String?
    public var contextWindow: Int?
    public var timeoutMs: Int?
    /// Name of the key (environment variable, or field of the Secrets Manager secret) to use
    /// instead of the provider's default (`OPENAI_API_KEY`, `ANTHROPIC_API_KEY`).
    public var apiKeyName: String?

    public init(
        provider: String, model: String, baseURL: String? = nil, region: String? = nil, contextWindow: Int? = nil,
        timeoutMs: Int? = nil, apiKeyName: String? = nil
    ) {
        self.provider = provider
        self.model = model
        self.baseURL = baseURL
        self.region = region
        self.contextWindow = contextWindow
        self.timeoutMs = timeoutMs
        self.apiKeyName = apiKeyName
    }
}
