import SwitchyardContract

/// A service tier (basic, pro, enterprise): which models its tenants may use, what they may
/// spend per month, and what happens when they have spent it.
public struct TierSpec: Codable, Sendable, Equatable {
    /// Models this tier may use; absent means every model that lists the tier.
    public var models: [String]?
    /// Monthly budget per tenant, micro-USD; a tenant may override it.
    public var monthlyBudgetMicroUSD: Int64
    /// Strategy when neither a rule nor a hint picks one.
    public var defaultStrategy: RoutingStrategy
    /// What to do once month-to-date spend reaches the budget.
    public var overBudget: OverBudgetBehaviour
    /// The models a downgraded request may use (required for `downgrade`).
    public var downgradeModels: [String]?
    /// Overrides the policy's classifier mode for this tier.
    public var classifier: ClassifierMode?

    enum CodingKeys: String, CodingKey {
        case models, classifier
        case monthlyBudgetMicroUSD = "monthly_budget_micro_usd"
        case defaultStrategy = "default_strategy"
        case overBudget = "over_budget"
        case downgradeModels = "downgrade_models"
    }

    public init(
        models: [String]? = nil, monthlyBudgetMicroUSD: Int64, defaultStrategy: RoutingStrategy,
        overBudget: OverBudgetBehaviour, downgradeModels: [String]? = nil, classifier: ClassifierMode? = nil
    ) {
        self.models = models
        self.monthlyBudgetMicroUSD = monthlyBudgetMicroUSD
        self.defaultStrategy = defaultStrategy
        self.overBudget = overBudget
        self.downgradeModels = downgradeModels
        self.classifier = classifier
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
    /// Overrides the tier's monthly budget, micro-USD.
    public var monthlyBudgetMicroUSD: Int64?

    enum CodingKeys: String, CodingKey {
        case id, tier
        case monthlyBudgetMicroUSD = "monthly_budget_micro_usd"
    }

    public init(id: String, tier: String, monthlyBudgetMicroUSD: Int64? = nil) {
        self.id = id
        self.tier = tier
        self.monthlyBudgetMicroUSD = monthlyBudgetMicroUSD
    }
}
