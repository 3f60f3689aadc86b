import SwitchyardContract

/// A routing rule: when its condition matches, its action sets the strategy and limits.
///
/// Rules are tried in file order and the first match wins, so specific rules go first. Every
/// condition field is optional; a present field matches when the request's value is one listed.
public struct RoutingRule: Sendable, Equatable {
    public var name: String
    public var when: RuleCondition
    public var then: RuleAction

    public init(name: String, when: RuleCondition, then: RuleAction) {
        self.name = name
        self.when = when
        self.then = then
    }
}

/// What a request looks like, as far as rules can see (`modalities` in a rule's `when`).
public enum RequestModality: String, Sendable, CaseIterable, Hashable {
    case text
    case image
    case imageText = "image+text"
    case batch
}

public struct RuleCondition: Sendable, Equatable {
    public var modalities: [RequestModality]?
    public var categories: [TaskCategory]?
    public var difficulties: [Difficulty]?
    public var tiers: [String]?
    public var tenants: [String]?
    /// The request's `route` hint.
    public var routes: [RoutingStrategy]?
    /// Matches when the request carries at least one of these tags.
    public var tags: [String]?
    /// `true` matches learned verdicts whose calibrated confidence is below
    /// `classifier.confidence_threshold` (the safe defaults); `false` matches every other verdict.
    public var uncertain: Bool?

    public init(
        modalities: [RequestModality]? = nil, categories: [TaskCategory]? = nil, difficulties: [Difficulty]? = nil,
        tiers: [String]? = nil, tenants: [String]? = nil, routes: [RoutingStrategy]? = nil, tags: [String]? = nil,
        uncertain: Bool? = nil
    ) {
        self.uncertain = uncertain
        self.modalities = modalities
        self.categories = categories
        self.difficulties = difficulties
        self.tiers = tiers
        self.tenants = tenants
        self.routes = routes
        self.tags = tags
    }
}

public struct RuleAction: Sendable, Equatable {
    /// Strategy to use; a request's `route` hint still wins unless `lockStrategy` is set.
    public var strategy: RoutingStrategy?
    /// Minimum quality for the category, 0...1; replaces the difficulty default.
    public var qualityFloor: Double?
    /// Upper bound on expected latency, ms; a tighter hint wins.
    public var maxLatencyMs: Int?
    /// Upper bound on estimated cost per request (`maxCostUSD`, a decimal string); a tighter hint wins.
    public var maxCost: PicoUSD?
    /// Restricts the candidates to these models (still within the tier).
    public var models: [ModelID]?
    /// Number of fallbacks in the decision.
    public var fallbackCount: Int?
    /// Ignore the request's `route` hint.
    public var lockStrategy: Bool?

    public init(
        strategy: RoutingStrategy? = nil, qualityFloor: Double? = nil, maxLatencyMs: Int? = nil,
        maxCost: PicoUSD? = nil, models: [ModelID]? = nil, fallbackCount: Int? = nil, lockStrategy: Bool? = nil
    ) {
        self.strategy = strategy
        self.qualityFloor = qualityFloor
        self.maxLatencyMs = maxLatencyMs
        self.maxCost = maxCost
        self.models = models
        self.fallbackCount = fallbackCount
        self.lockStrategy = lockStrategy
    }
}
