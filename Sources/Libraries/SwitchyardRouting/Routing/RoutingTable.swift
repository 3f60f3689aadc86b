import SwitchyardBilling
import SwitchyardContract
import SwitchyardCore

/// The bundle compiled for lookups: model indexes, per-tier allow lists, a dense quality matrix
/// and each model's prices resolved from the rates table. Built once per bundle load
/// (Hummingbird's build-then-run), immutable afterwards.
public struct RoutingTable: Sendable {
    public let bundle: RoutingBundle
    /// Stored, not read through `bundle`, so a field access on the hot path copies no policy.
    public let policy: RoutingPolicy
    /// The rules with their conditions as bit sets, in policy order (see `Router.matchRule`).
    let rules: [CompiledRule]
    public var catalog: Catalog { bundle.catalog }
    /// Recorded on every decision: policy, catalog and rates versions.
    public let bundleVersion: String
    let models: [CatalogModel]
    let modelIndex: [ModelID: Int]
    /// `quality[model * TaskCategory.count + category.index]`; negative where unscored.
    let quality: [Double]
    /// "quality 0.66 < floor 0.8" for the floors the policy can set, made on first use per floor
    /// and category, so a candidate report costs a lookup rather than formatting two numbers per model.
    let belowFloorTexts: BelowFloorTexts
    let hasVision: [Bool]
    /// Plain-data copies of what the per-model loop reads, so it never retains a `CatalogModel`'s
    /// strings and dictionaries (copying one costs a dozen reference-count operations).
    let cores: [ModelCore]
    let ids: [ModelID]

    struct ModelCore: Sendable {
        var kind: BackendKind
        var provider: ProviderID
        var price: PriceCard
        var latency: LatencyPrior
        var contextWindow: Int
        /// The catalog's `maxOutputTokens`, else the context window.
        var maxOutputTokens: Int
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
        /// `model`, comma-separated, for the over-budget note.
        let downgradeList: String
        /// "not available on the <name> tier".
        let notInTierText: String
    }

    struct CompiledTenant: Sendable {
        let spec: TenantSpec
        let tier: CompiledTier
        let monthlyBudget: PicoUSD
    }

    public init(bundle: RoutingBundle) {
        self.bundle = bundle
        bundleVersion = bundle.version
        let policy = bundle.policy
        self.policy = policy
        models = bundle.catalog.models
        var index: [ModelID: Int] = [:]
        for (i, model) in models.enumerated() { index[model.id] = i }
        modelIndex = index
        var quality = [Double](repeating: -1, count: models.count * TaskCategory.count)
        for (i, model) in models.enumerated() {
            for (key, score) in model.quality {
                // RoutingBundle validation guarantees every key is a category.
                quality[i * TaskCategory.count + TaskCategory(rawValue: key)!.index] = score
            }
        }
        self.quality = quality
        let floors = Set(
            [policy.defaults.qualityFloor.easy, policy.defaults.qualityFloor.medium, policy.defaults.qualityFloor.hard]
                + policy.rules.compactMap(\.then.qualityFloor))
        belowFloorTexts = BelowFloorTexts(floors: floors, quality: quality, modelCount: models.count)
        hasVision = models.map { $0.capabilities.contains(.vision) }
        cores = models.map {
            ModelCore(
                kind: $0.kind, provider: $0.provider, price: PriceCard($0, rates: bundle.rates, at: bundle.pricesAt),
                latency: $0.latency, contextWindow: $0.contextWindow,
                maxOutputTokens: $0.maxOutputTokens ?? $0.contextWindow, hasVision: $0.capabilities.contains(.vision))
        }
        ids = models.map(\.id)
        var tiers: [String: CompiledTier] = [:]
        for (name, spec) in policy.tiers {
            let listed = spec.models.map(Set.init)
            let downgrade = Set(spec.downgradeModels ?? [])
            tiers[name] = CompiledTier(
                name: name, spec: spec,
                allowed: models.map { $0.tiers.contains(name) && (listed?.contains($0.id) ?? true) },
                downgrade: models.map { downgrade.contains($0.id) },
                downgradeList: (spec.downgradeModels ?? []).map(\.rawValue).joinedText(separator: ", "),
                notInTierText: "not available on the \(name) tier")
        }
        self.tiers = tiers
        rules = policy.rules.enumerated().map { CompiledRule(index: $0.offset, $0.element.when) }
        var tenants: [String: CompiledTenant] = [:]
        for tenant in policy.tenants {
            let tier = tiers[tenant.tier]!
            tenants[tenant.id] = CompiledTenant(
                spec: tenant, tier: tier, monthlyBudget: tenant.monthlyBudget ?? tier.spec.monthlyBudget)
        }
        self.tenants = tenants
        let fallbackTokens = policy.defaults.outputTokens["default"]!
        outputTokens = TaskCategory.allCases.map { policy.defaults.outputTokens[$0.rawValue] ?? fallbackTokens }
    }

    @inline(__always) func quality(model: Int, category: TaskCategory) -> Double {
        quality[model &* TaskCategory.count &+ category.index]
    }

    /// The catalog entry with this id.
    public func model(_ id: ModelID) -> CatalogModel? { modelIndex[id].map { models[$0] } }

    /// The tier name of a tenant, nil when unknown.
    public func tierName(ofTenant id: String) -> String? { tenants[id]?.tier.name }

    /// Whether a tier may use a model.
    public func isAllowed(model id: ModelID, tier: String) -> Bool {
        guard let i = modelIndex[id], let compiled = tiers[tier] else { return false }
        return compiled.allowed[i]
    }
}
