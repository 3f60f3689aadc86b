/// What the client asks of the router; all optional.
public struct RoutingHints: Codable, Sendable, Hashable {
    /// `cheapest`, `fastest` or `best`.
    public var route: RoutingStrategy?
    /// Upper bound on this request's estimated cost.
    public var maxCostPicoUSD: PicoUSD?
    /// Upper bound on expected latency, ms.
    public var maxLatencyMs: Int?
    /// An explicit catalog model (the OpenAI `model` field when it is not `auto`).
    public var model: ModelID?
    /// Overrides the classifier's category.
    public var category: TaskCategory?
    /// Free tags that rules can match (`realtime`, `rag`).
    public var tags: [String]?
    /// Ask for retrieval before the answer, when the policy offers it (a collection name).
    public var retrieval: String?
    /// Detections below this confidence are dropped (0...1]; the policy's default otherwise.
    public var confidenceThreshold: Double?
    /// IoU above which overlapping boxes of one class are merged by NMS (0...1]; the policy's default otherwise.
    public var iouThreshold: Double?
    /// Most detections returned per image; the policy's default otherwise.
    public var maxDetections: Int?

    public init(
        route: RoutingStrategy? = nil, maxCostPicoUSD: PicoUSD? = nil, maxLatencyMs: Int? = nil, model: ModelID? = nil,
        category: TaskCategory? = nil, tags: [String]? = nil, retrieval: String? = nil,
        confidenceThreshold: Double? = nil, iouThreshold: Double? = nil, maxDetections: Int? = nil
    ) {
        self.route = route
        self.maxCostPicoUSD = maxCostPicoUSD
        self.maxLatencyMs = maxLatencyMs
        self.model = model
        self.category = category
        self.tags = tags
        self.retrieval = retrieval
        self.confidenceThreshold = confidenceThreshold
        self.iouThreshold = iouThreshold
        self.maxDetections = maxDetections
    }

    public var isEmpty: Bool { self == RoutingHints() }
}
