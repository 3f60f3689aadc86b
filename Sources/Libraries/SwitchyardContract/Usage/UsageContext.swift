/// What every usage record of a request carries about the request and its routing: stamped by
/// each producer from the decision, so a record stands on its own in the store (chargeback by
/// tenant and tier, the what-if view's category, difficulty, hints and estimate).
public struct UsageContext: Codable, Sendable, Equatable {
    public var requestID: String
    public var executionID: String?
    public var tenantID: String
    public var user: String?
    public var tier: String?
    /// Short summary, e.g. `llm cheapest rule=legal-premium`.
    public var route: String?
    public var category: TaskCategory?
    public var difficulty: Difficulty?
    public var hints: RoutingHints?
    public var estimatedCostPicoUSD: PicoUSD?
    public var bundleVersion: String?

    enum CodingKeys: String, CodingKey {
        case requestID = "requestId"
        case executionID = "executionId"
        case tenantID = "tenantId"
        case user, tier, route, category, difficulty, hints, estimatedCostPicoUSD, bundleVersion
    }

    public init(
        requestID: String, executionID: String? = nil, tenantID: String, user: String? = nil, tier: String? = nil,
        route: String? = nil, category: TaskCategory? = nil, difficulty: Difficulty? = nil, hints: RoutingHints? = nil,
        estimatedCostPicoUSD: PicoUSD? = nil, bundleVersion: String? = nil
    ) {
        self.requestID = requestID
        self.executionID = executionID
        self.tenantID = tenantID
        self.user = user
        self.tier = tier
        self.route = route
        self.category = category
        self.difficulty = difficulty
        self.hints = hints
        self.estimatedCostPicoUSD = estimatedCostPicoUSD
        self.bundleVersion = bundleVersion
    }
}
