import SwitchyardContract

/// The router function's event: what the API Gateway integration passes to the state machine.
///
/// Prompt text arrives as OpenAI-style `messages` or a bare `prompt`; images travel by reference
/// (`s3://`, `https://`) because a Step Functions state is limited to 256 KiB, though small inline
/// base64 images are accepted and only measured, never decoded.
public struct RouterInput: Codable, Sendable, Equatable {
    public var requestID: String?
    public var tenantID: String
    public var user: String?
    public var messages: [ChatMessage]?
    public var prompt: String?
    public var images: [ImageRef]?
    public var hints: RoutingHints?
    /// Items of a batch job; when present the request goes to the Map path.
    public var batch: [BatchItem]?

    enum CodingKeys: String, CodingKey {
        case user, messages, prompt, images, hints, batch
        case requestID = "request_id"
        case tenantID = "tenant_id"
    }

    public init(
        requestID: String? = nil, tenantID: String, user: String? = nil, messages: [ChatMessage]? = nil,
        prompt: String? = nil, images: [ImageRef]? = nil, hints: RoutingHints? = nil, batch: [BatchItem]? = nil
    ) {
        self.requestID = requestID
        self.tenantID = tenantID
        self.user = user
        self.messages = messages
        self.prompt = prompt
        self.images = images
        self.hints = hints
        self.batch = batch
    }
}

/// One chat message; `content` is a string or a list of typed parts.
public struct ChatMessage: Codable, Sendable, Equatable {
    public var role: String
    public var content: MessageContent

    public init(role: String, content: MessageContent) {
        self.role = role
        self.content = content
    }

    public init(role: String, text: String) {
        self.init(role: role, content: .text(text))
    }
}

public enum MessageContent: Codable, Sendable, Equatable {
    case text(String)
    case parts([ContentPart])

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let text = try? container.decode(String.self) {
            self = .text(text)
        } else {
            self = .parts(try container.decode([ContentPart].self))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .text(let text): try container.encode(text)
        case .parts(let parts): try container.encode(parts)
        }
    }
}

/// A content part: `{"type":"text","text":...}` or `{"type":"image_url","image_url":{"url":...}}`
/// (OpenAI), or `{"type":"image","source":{...}}` (Anthropic). Other types are kept so the router
/// can refuse them by name.
public struct ContentPart: Codable, Sendable, Equatable {
    public var type: String
    public var text: String?
    public var imageURL: ImageURLPart?
    public var source: ImageSourcePart?

    enum CodingKeys: String, CodingKey {
        case type, text, source
        case imageURL = "image_url"
    }

    public init(type: String, text: String? = nil, imageURL: ImageURLPart? = nil, source: ImageSourcePart? = nil) {
        self.type = type
        self.text = text
        self.imageURL = imageURL
        self.source = source
    }
}

public struct ImageURLPart: Codable, Sendable, Equatable {
    public var url: String
    public init(url: String) { self.url = url }
}

public struct ImageSourcePart: Codable, Sendable, Equatable {
    public var type: String
    public var mediaType: String?
    public var data: String?
    public var url: String?

    enum CodingKeys: String, CodingKey {
        case type, data, url
        case mediaType = "media_type"
    }

    public init(type: String, mediaType: String? = nil, data: String? = nil, url: String? = nil) {
        self.type = type
        self.mediaType = mediaType
        self.data = data
        self.url = url
    }
}

/// An image by reference (`url`: `s3://bucket/key`, `https://...`) or inline (`data_base64`).
public struct ImageRef: Codable, Sendable, Equatable {
    public var url: String?
    public var dataBase64: String?
    public var mediaType: String?
    /// Declared size in bytes, when the client knows it.
    public var sizeBytes: Int?

    enum CodingKeys: String, CodingKey {
        case url
        case dataBase64 = "data_base64"
        case mediaType = "media_type"
        case sizeBytes = "size_bytes"
    }

    public init(url: String? = nil, dataBase64: String? = nil, mediaType: String? = nil, sizeBytes: Int? = nil) {
        self.url = url
        self.dataBase64 = dataBase64
        self.mediaType = mediaType
        self.sizeBytes = sizeBytes
    }
}

/// What the client asks of the router; all optional.
public struct RoutingHints: Codable, Sendable, Equatable {
    /// `cheapest`, `fastest` or `best`.
    public var route: String?
    /// Upper bound on estimated cost of this request, USD.
    public var maxCostUSD: Double?
    /// Upper bound on expected latency, ms.
    public var maxLatencyMs: Int?
    /// An explicit catalog model id.
    public var model: String?
    /// Output tokens the client expects (sizes the cost estimate).
    public var maxOutputTokens: Int?
    /// Overrides the classifier's category.
    public var category: String?
    /// Free tags that rules can match (`realtime`, `rag`).
    public var tags: [String]?

    enum CodingKeys: String, CodingKey {
        case route, model, category, tags
        case maxCostUSD = "max_cost_usd"
        case maxLatencyMs = "max_latency_ms"
        case maxOutputTokens = "max_output_tokens"
    }

    public init(
        route: String? = nil, maxCostUSD: Double? = nil, maxLatencyMs: Int? = nil, model: String? = nil,
        maxOutputTokens: Int? = nil, category: String? = nil, tags: [String]? = nil
    ) {
        self.route = route
        self.maxCostUSD = maxCostUSD
        self.maxLatencyMs = maxLatencyMs
        self.model = model
        self.maxOutputTokens = maxOutputTokens
        self.category = category
        self.tags = tags
    }
}

/// One item of a batch: a prompt, images, or both.
public struct BatchItem: Codable, Sendable, Equatable {
    public var id: String?
    public var prompt: String?
    public var images: [ImageRef]?

    public init(id: String? = nil, prompt: String? = nil, images: [ImageRef]? = nil) {
        self.id = id
        self.prompt = prompt
        self.images = images
    }
}
