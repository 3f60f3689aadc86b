import SwitchyardContract

/// A validated request reduced to what routing needs: sizes, modality, parsed hints and the text
/// the classifier reads. Built once per request by `RequestProfile.init(_:limits:)` from the
/// contract's `InferenceRequest`; the router never fetches an image, it only measures references.
public struct RequestProfile: Sendable, Equatable {
    public var requestID: String
    public var tenantID: String
    public var user: String?
    public var modality: RequestModality
    /// The request's modality as usage records name it.
    public var usageModality: Modality
    /// Text the classifier reads: the system prompt and the user turns (or a batch sample).
    public var classifierText: String
    /// UTF-8 bytes of all prompt text (per item for batches).
    public var promptBytes: Int
    /// Estimated input tokens per call (text plus image tokens).
    public var inputTokens: Int
    /// Images per call (per item for batches).
    public var imageCount: Int
    /// Items in a batch; 1 otherwise.
    public var batchCount: Int
    /// The batch's items, handed to the Map step unchanged.
    public var batchItems: [BatchItem]
    /// The client's `parameters.maxTokens`, within the policy's limit; each model caps it further.
    public var requestedOutputTokens: Int?
    public var hints: ParsedHints
    /// The hints as the client sent them, recorded on usage records (nil when none were sent).
    public var rawHints: RoutingHints?

    public init(
        requestID: String, tenantID: String, user: String? = nil, modality: RequestModality,
        usageModality: Modality = .text, classifierText: String, promptBytes: Int, inputTokens: Int, imageCount: Int,
        batchCount: Int = 1, batchItems: [BatchItem] = [], requestedOutputTokens: Int? = nil,
        hints: ParsedHints = ParsedHints(), rawHints: RoutingHints? = nil
    ) {
        self.requestID = requestID
        self.tenantID = tenantID
        self.user = user
        self.modality = modality
        self.usageModality = usageModality
        self.classifierText = classifierText
        self.promptBytes = promptBytes
        self.inputTokens = inputTokens
        self.imageCount = imageCount
        self.batchCount = batchCount
        self.batchItems = batchItems
        self.requestedOutputTokens = requestedOutputTokens
        self.hints = hints
        self.rawHints = rawHints
    }

    /// Tokens an LLM with vision bills per image at the default detail (OpenAI's 1024x1024 tile
    /// count, Anthropic's ~1.6k for a large image; a round middle figure).
    public static let tokensPerImage = 800
}

/// Hints after validation: typed, in range.
public struct ParsedHints: Sendable, Equatable {
    public var route: RoutingStrategy?
    public var maxCost: PicoUSD?
    public var maxLatencyMs: Int?
    public var model: ModelID?
    public var category: TaskCategory?
    public var tags: [String]
    public var confidenceThreshold: Double?
    public var iouThreshold: Double?
    public var maxDetections: Int?

    public init(
        route: RoutingStrategy? = nil, maxCost: PicoUSD? = nil, maxLatencyMs: Int? = nil, model: ModelID? = nil,
        category: TaskCategory? = nil, tags: [String] = [], confidenceThreshold: Double? = nil,
        iouThreshold: Double? = nil, maxDetections: Int? = nil
    ) {
        self.route = route
        self.maxCost = maxCost
        self.maxLatencyMs = maxLatencyMs
        self.model = model
        self.category = category
        self.tags = tags
        self.confidenceThreshold = confidenceThreshold
        self.iouThreshold = iouThreshold
        self.maxDetections = maxDetections
    }
}
