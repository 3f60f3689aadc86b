import SwitchyardContract

/// Signals held in memory: for tests, local runs and the evaluation, and as the shape the
/// MongoDB-backed source fills.
public actor InMemoryRoutingSignals: RoutingSignals {
    private var spend: [String: PicoUSD]
    private var health: [ModelID: ModelHealth]

    public init(spend: [String: PicoUSD] = [:], health: [ModelID: ModelHealth] = [:]) {
        self.spend = spend
        self.health = health
    }

    public func monthToDateSpend(tenantID: String) async throws -> SpendSignal? {
        spend[tenantID].map { SpendSignal(amount: $0) }
    }

    public func modelHealth() async throws -> [ModelID: ModelHealth] { health }

    /// Adds a call's cost to the tenant's month-to-date spend.
    /// - Throws: `Billing.AmountOutOfRange` when the sum leaves the representable range.
    public func record(tenantID: String, cost: PicoUSD) throws(MoneyError) {
        spend[tenantID] = try (spend[tenantID] ?? .zero).adding(cost)
    }

    public func setSpend(tenantID: String, _ amount: PicoUSD?) { spend[tenantID] = amount }

    public func setHealth(model: ModelID, _ value: ModelHealth?) { health[model] = value }
}
