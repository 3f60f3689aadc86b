import SwitchyardContract

/// A validated request reduced to what routing needs: sizes, modality, parsed hints and the text
/// the classifier reads. Built once per request by `RequestProfile.init(_:limits:)`.
public struct RequestProfile: Sendable, Equatable {
    public var requestID: String
    public var tenantID: String
    public var modality: Modality
    /// Text the classifier reads: the system prompt and the last user message (or batch sample).
    public var classifierText: String
    /// UTF-8 bytes of all prompt text (per item for batches).
    public var promptBytes: Int
    /// Estimated input tokens per call (text plus image tokens).
    public var inputTokens: Int
    /// Images per call (per item for batches).
    public var imageCount: Int
    /// Items in a batch; 1 otherwise.
    public var batchCount: Int
    public var hints: ParsedHints

    public init(
        requestID: String, tenantID: String, modality: Modality, classifierText: String, promptBytes: Int,
        inputTokens: Int, imageCount: Int, batchCount: Int, hints: ParsedHints
    ) {
        self.requestID = requestID
        self.tenantID = tenantID
        self.modality = modality
        self.classifierText = classifierText
        self.promptBytes = promptBytes
        self.inputTokens = inputTokens
        self.imageCount = imageCount
        self.batchCount = batchCount
        self.hints = hints
    }

    /// Tokens an LLM with vision bills per image at the default detail (OpenAI's 1024x1024 tile
    /// count, Anthropic's ~1.6k for a large image; a round middle figure).
    public static let tokensPerImage = 800
}

/// Hints after validation: typed, in router units.
public struct ParsedHints: Sendable, Equatable {
    public var route: RoutingStrategy?
    public var maxCostMicroUSD: Int64?
    public var maxLatencyMs: Int?
    public var model: String?
    public var outputTokens: Int?
    public var category: TaskCategory?
    public var tags: [String]

    public init(
        route: RoutingStrategy? = nil, maxCostMicroUSD: Int64? = nil, maxLatencyMs: Int? = nil, model: String? = nil,
        outputTokens: Int? = nil, category: TaskCategory? = nil, tags: [String] = []
    ) {
        self.route = route
        self.maxCostMicroUSD = maxCostMicroUSD
        self.maxLatencyMs = maxLatencyMs
        self.model = model
        self.outputTokens = outputTokens
        self.category = category
        self.tags = tags
    }
}
