/// A client's request as it enters the pipeline: the state machine's input (`$.request`), the
/// router's event, and what the llm-caller and vision steps read their messages and images from.
///
/// The front door builds it from the OpenAI-shaped HTTP request: the tenant comes from the API
/// key, never from the body; images above ~200 KiB have already been moved to S3.
public struct InferenceRequest: Codable, Sendable, Equatable {
    public var requestID: String
    public var tenantID: String
    public var user: String?
    public var messages: [Message]
    /// Images sent without a prompt (detection) or beside it.
    public var images: [ImageReference]?
    public var hints: RoutingHints?
    public var parameters: GenerationParameters?
    /// Items of a labelling job; when present the request takes the batch path.
    public var batch: [BatchItem]?
    /// The client asked for a streamed answer (served by the streaming front door, not Step Functions).
    public var stream: Bool?
    /// When the front door received it, epoch ms (orchestration cost and latency start here).
    public var receivedAtMs: Int64?

    enum CodingKeys: String, CodingKey {
        case requestID = "requestId"
        case tenantID = "tenantId"
        case user, messages, images, hints, parameters, batch, stream, receivedAtMs
    }

    public init(
        requestID: String, tenantID: String, user: String? = nil, messages: [Message] = [],
        images: [ImageReference]? = nil,
        hints: RoutingHints? = nil, parameters: GenerationParameters? = nil, batch: [BatchItem]? = nil,
        stream: Bool? = nil,
        receivedAtMs: Int64? = nil
    ) {
        self.requestID = requestID
        self.tenantID = tenantID
        self.user = user
        self.messages = messages
        self.images = images
        self.hints = hints
        self.parameters = parameters
        self.batch = batch
        self.stream = stream
        self.receivedAtMs = receivedAtMs
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        requestID = try c.decode(String.self, forKey: .requestID)
        tenantID = try c.decode(String.self, forKey: .tenantID)
        user = try c.decodeIfPresent(String.self, forKey: .user)
        messages = try c.decodeIfPresent([Message].self, forKey: .messages) ?? []
        images = try c.decodeIfPresent([ImageReference].self, forKey: .images)
        hints = try c.decodeIfPresent(RoutingHints.self, forKey: .hints)
        parameters = try c.decodeIfPresent(GenerationParameters.self, forKey: .parameters)
        batch = try c.decodeIfPresent([BatchItem].self, forKey: .batch)
        stream = try c.decodeIfPresent(Bool.self, forKey: .stream)
        receivedAtMs = try c.decodeIfPresent(Int64.self, forKey: .receivedAtMs)
    }

    /// Every image of the request: standalone ones, then those inside messages.
    public var allImages: [ImageReference] { (images ?? []) + messages.flatMap(\.images) }
}

/// One item of a labelling job: a prompt, images, or both. Items travel by reference
/// (`https://`/`s3://` images), so a 40-item inline batch stays under the 256 KiB state limit.
public struct BatchItem: Codable, Sendable, Equatable {
    public var id: String
    public var text: String?
    public var images: [ImageReference]?

    public init(id: String, text: String? = nil, images: [ImageReference]? = nil) {
        self.id = id
        self.text = text
        self.images = images
    }
}
