import SwitchyardContract

/// A service tier (basic, pro, enterprise): which models its tenants may use, what they may
/// spend per month, and what happens when they have spent it.
public struct TierSpec: Sendable, Equatable {
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
}

/// Over-budget behaviour of a tier.
public enum OverBudgetBehaviour: String, Sendable, Hashable {
    /// Keep serving, with the cheapest of the tier's downgrade models.
    case downgrade
    /// Refuse with `Router.BudgetExceeded`.
    case reject
}

/// A tenant and its tier.
public struct TenantSpec: Sendable, Equatable {
    public var id: String
    public var tier: String
    /// Overrides the tier's monthly budget (`monthlyBudgetUSD`, a decimal string).
    public var monthlyBudget: PicoUSD?

    public init(id: String, tier: String, monthlyBudget: PicoUSD? = nil) {
        self.id = id
        self.tier = tier
        self.monthlyBudget = monthlyBudget
    }
}
