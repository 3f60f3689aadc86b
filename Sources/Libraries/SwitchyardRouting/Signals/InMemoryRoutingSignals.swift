import SwitchyardContract

/// Signals held in memory: for tests, local runs and the evaluation, and as the shape the
/// MongoDB-backed source fills.
public actor InMemoryRoutingSignals: RoutingSignals {
    private var spend: [String: Int64]
    private var health: [String: ModelHealth]

    public init(spend: [String: Int64] = [:], health: [String: ModelHealth] = [:]) {
        self.spend = spend
        self.health = health
    }

    public func monthToDateSpend(tenantID: String) async throws -> Int64? { spend[tenantID] }

    public func modelHealth() async throws -> [String: ModelHealth] { health }

    /// Adds a call's cost to the tenant's month-to-date spend.
    public func record(tenantID: String, costMicroUSD: Int64) {
        spend[tenantID, default: 0] += costMicroUSD
    }

    public func setSpend(tenantID: String, microUSD: Int64) { spend[tenantID] = microUSD }

    public func setHealth(model: String, _ value: ModelHealth?) { health[model] = value }
}
