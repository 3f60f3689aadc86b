import SwitchyardContract

/// The policy compiled for lookups: model indexes, per-tier allow lists and a dense quality
/// matrix. Built once at init (Hummingbird's build-then-run), immutable afterwards.
public struct RoutingTable: Sendable {
    public let policy: RoutingPolicy
    let models: [ModelSpec]
    let modelIndex: [String: Int]
    /// `quality[model * TaskCategory.count + category.index]`; negative where unscored.
    let quality: [Double]
    let hasVision: [Bool]
    /// Plain-data copies of what the per-model loop reads, so it never retains a `ModelSpec`'s
    /// strings and dictionaries (copying one costs a dozen reference-count operations).
    let cores: [ModelCore]
    let ids: [String]

    struct ModelCore: Sendable {
        var kind: BackendKind
        var provider: ProviderID
        var prices: ModelPrices
        var latency: LatencyPrior
        var contextWindow: Int
        var hasVision: Bool
    }
    let tiers: [String: CompiledTier]
    let tenants: [String: CompiledTenant]
    /// Expected output tokens per category index.
    let outputTokens: [Int]

    struct CompiledTier: Sendable {
        let name: String
        let spec: TierSpec
        /// Indexed by model index.
        let allowed: [Bool]
        let downgrade: [Bool]
    }

    struct CompiledTenant: Sendable {
        let spec: TenantSpec
        let tier: CompiledTier
        let monthlyBudgetMicroUSD: Int64
    }

    /// - Throws: `PolicyError` when the policy does not validate.
    public init(policy: RoutingPolicy) throws(PolicyError) {
        try policy.validate()
        self.policy = policy
        models = policy.models
        var index: [String: Int] = [:]
        for (i, model) in models.enumerated() { index[model.id] = i }
        modelIndex = index
        var quality = [Double](repeating: -1, count: models.count * TaskCategory.count)
        for (i, model) in models.enumerated() {
            for (key, score) in model.quality {
                quality[i * TaskCategory.count + TaskCategory(rawValue: key)!.index] = score
            }
        }
        self.quality = quality
        hasVision = models.map { $0.capabilities.contains(.vision) }
        cores = models.map {
            ModelCore(
                kind: $0.kind, provider: $0.provider, prices: $0.prices, latency: $0.latency,
                contextWindow: $0.contextWindow,
                hasVision: $0.capabilities.contains(.vision))
        }
        ids = models.map(\.id)
        var tiers: [String: CompiledTier] = [:]
        for (name, spec) in policy.tiers {
            let listed = spec.models.map(Set.init)
            let downgrade = Set(spec.downgradeModels ?? [])
            tiers[name] = CompiledTier(
                name: name, spec: spec,
                allowed: models.map { $0.tiers.contains(name) && (listed?.contains($0.id) ?? true) },
                downgrade: models.map { downgrade.contains($0.id) })
        }
        self.tiers = tiers
        var tenants: [String: CompiledTenant] = [:]
        for tenant in policy.tenants {
            let tier = tiers[tenant.tier]!
            tenants[tenant.id] = CompiledTenant(
                spec: tenant, tier: tier,
                monthlyBudgetMicroUSD: tenant.monthlyBudgetMicroUSD ?? tier.spec.monthlyBudgetMicroUSD)
        }
        self.tenants = tenants
        let fallbackTokens = policy.defaults.outputTokens["default"]!
        outputTokens = TaskCategory.allCases.map { policy.defaults.outputTokens[$0.rawValue] ?? fallbackTokens }
    }

    @inline(__always) func quality(model: Int, category: TaskCategory) -> Double {
        quality[model &* TaskCategory.count &+ category.index]
    }

    /// The model with this catalog id.
    public func model(_ id: String) -> ModelSpec? { modelIndex[id].map { models[$0] } }

    /// The tier name of a tenant, nil when unknown.
    public func tierName(ofTenant id: String) -> String? { tenants[id]?.tier.name }

    /// Whether a tier may use a model.
    public func isAllowed(model id: String, tier: String) -> Bool {
        guard let i = modelIndex[id], let compiled = tiers[tier] else { return false }
        return compiled.allowed[i]
    }
}
