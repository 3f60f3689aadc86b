import SwitchyardContract

/// A service tier (basic, pro, enterprise): which models its tenants may use, what they may
/// spend per month, and what happens when they have spent it.
public struct TierSpec: Codable, Sendable, Equatable {
    /// Models this tier may use; absent means every catalog model that lists the tier.
    public var models: [ModelID]?
    /// Monthly budget per tenant (`monthlyBudgetUSD`, a decimal string); a tenant may override it.
    public var monthlyBudget: PicoUSD
    /// Strategy when neither a rule nor a hint picks one.
    public var defaultStrategy: RoutingStrategy
    /// What to do once month-to-date spend reaches the budget.
    public var overBudget: OverBudgetBehaviour
    /// The models a downgraded request may use (required for `downgrade`).
    public var downgradeModels: [ModelID]?
    /// Overrides the policy's classifier mode for this tier.
    public var classifier: ClassifierMode?

    enum CodingKeys: String, CodingKey {
        case models, classifier, defaultStrategy, overBudget, downgradeModels
        case monthlyBudget = "monthlyBudgetUSD"
    }

    public init(
        models: [ModelID]? = nil, monthlyBudget: PicoUSD, defaultStrategy: RoutingStrategy,
        overBudget: OverBudgetBehaviour, downgradeModels: [ModelID]? = nil, classifier: ClassifierMode? = nil
    ) {
        self.models = models
        self.monthlyBudget = monthlyBudget
        self.defaultStrategy = defaultStrategy
        self.overBudget = overBudget
        self.downgradeModels = downgradeModels
        self.classifier = classifier
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        models = try c.decodeIfPresent([ModelID].self, forKey: .models)
        monthlyBudget = try USDAmount.decode(c, .monthlyBudget)
        defaultStrategy = try c.decode(RoutingStrategy.self, forKey: .defaultStrategy)
        overBudget = try c.decode(OverBudgetBehaviour.self, forKey: .overBudget)
        downgradeModels = try c.decodeIfPresent([ModelID].self, forKey: .downgradeModels)
        classifier = try c.decodeIfPresent(ClassifierMode.self, forKey: .classifier)
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encodeIfPresent(models, forKey: .models)
        try USDAmount.encode(monthlyBudget, &c, .monthlyBudget)
        try c.encode(defaultStrategy, forKey: .defaultStrategy)
        try c.encode(overBudget, forKey: .overBudget)
        try c.encodeIfPresent(downgradeModels, forKey: .downgradeModels)
        try c.encodeIfPresent(classifier, forKey: .classifier)
    }
}

/// Over-budget behaviour of a tier.
public enum OverBudgetBehaviour: String, Codable, Sendable, Hashable {
    /// Keep serving, with the cheapest of the tier's downgrade models.
    case downgrade
    /// Refuse with `Router.BudgetExceeded`.
    case reject
}

/// A tenant and its tier.
public struct TenantSpec: Codable, Sendable, Equatable {
    public var id: String
    public var tier: String
    /// Overrides the tier's monthly budget (`monthlyBudgetUSD`, a decimal string).
    public var monthlyBudget: PicoUSD?

    enum CodingKeys: String, CodingKey {
        case id, tier
        case monthlyBudget = "monthlyBudgetUSD"
    }

    public init(id: String, tier: String, monthlyBudget: PicoUSD? = nil) {
        self.id = id
        self.tier = tier
        self.monthlyBudget = monthlyBudget
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        id = try c.decode(String.self, forKey: .id)
        tier = try c.decode(String.self, forKey: .tier)
        monthlyBudget = try USDAmount.decodeIfPresent(c, .monthlyBudget)
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(id, forKey: .id)
        try c.encode(tier, forKey: .tier)
        try USDAmount.encode(monthlyBudget, &c, .monthlyBudget)
    }
}
