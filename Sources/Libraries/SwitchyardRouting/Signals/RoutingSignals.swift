import SwitchyardContract

/// Live facts the router weighs against its priors: what a tenant has spent this month and how
/// each model has been behaving recently.
///
/// The usage logger's MongoDB-backed implementation aggregates usage records; tests and local
/// runs use `InMemoryRoutingSignals`. Wrap a slow source in `CachedRoutingSignals`.
public protocol RoutingSignals: Sendable {
    /// Month-to-date spend of `tenantID` in micro-USD; nil when the source knows nothing of it.
    func monthToDateSpend(tenantID: String) async throws -> Int64?
    /// Recent health per model id; models absent from the map have no live data.
    func modelHealth() async throws -> [String: ModelHealth]
    /// How far the spend figures lag behind the usage stored; nil when the source cannot tell
    /// (the default).
    func spendFreshness() async throws -> SpendFreshness?
}

extension RoutingSignals {
    public func spendFreshness() async throws -> SpendFreshness? { nil }
}

/// How current a spend figure is: the usage store's rollups include everything stored more than
/// `stalenessMs` ago; past `graceMs` they count as stale (a crashed rollup the repair has not
/// completed yet), and a budget check on them says so.
public struct SpendFreshness: Sendable, Equatable {
    public var stalenessMs: Int64
    public var graceMs: Int64

    public init(stalenessMs: Int64, graceMs: Int64) {
        self.stalenessMs = stalenessMs
        self.graceMs = graceMs
    }

    public var isStale: Bool { stalenessMs > graceMs }
}

/// Recent behaviour of one model, from usage records.
public struct ModelHealth: Codable, Sendable, Equatable {
    public var p50Ms: Int
    public var p95Ms: Int
    /// Failed calls over all calls in the window, 0...1.
    public var errorRate: Double
    /// Calls the figures are computed from.
    public var samples: Int

    enum CodingKeys: String, CodingKey {
        case samples
        case p50Ms = "p50_ms"
        case p95Ms = "p95_ms"
        case errorRate = "error_rate"
    }

    public init(p50Ms: Int, p95Ms: Int, errorRate: Double, samples: Int) {
        self.p50Ms = p50Ms
        self.p95Ms = p95Ms
        self.errorRate = errorRate
        self.samples = samples
    }
}

/// The signals one decision uses, fetched before the (synchronous, pure) decision is made.
public struct SignalsSnapshot: Sendable, Equatable {
    /// nil: unknown (the source failed or has no record); the budget check is then skipped and
    /// the decision says so.
    public var monthToDateSpendMicroUSD: Int64?
    public var health: [String: ModelHealth]
    /// Set when a source failed and stale or no data was used, or the spend is older than the
    /// store's grace period.
    public var note: String?
    /// How old the spend figure was (`BudgetStatus.spendStalenessMs`); nil when unknown.
    public var spendStalenessMs: Int64?

    public init(
        monthToDateSpendMicroUSD: Int64? = nil, health: [String: ModelHealth] = [:], note: String? = nil,
        spendStalenessMs: Int64? = nil
    ) {
        self.monthToDateSpendMicroUSD = monthToDateSpendMicroUSD
        self.health = health
        self.note = note
        self.spendStalenessMs = spendStalenessMs
    }

    public static let none = SignalsSnapshot()
}

extension RoutingSignals {
    /// Fetches both signals; a failing source yields an empty part and a note, never an error,
    /// because routing on priors beats refusing traffic while the usage store is down.
    public func snapshot(tenantID: String) async -> SignalsSnapshot {
        var snapshot = SignalsSnapshot()
        do {
            snapshot.monthToDateSpendMicroUSD = try await monthToDateSpend(tenantID: tenantID)
            if let freshness = try await spendFreshness() {
                snapshot.spendStalenessMs = freshness.stalenessMs
                if freshness.isStale {
                    // A budget check on stale spend is allowed, never silent.
                    snapshot.note =
                        "spend is \(freshness.stalenessMs / 1000) s behind the usage stored "
                        + "(over the \(freshness.graceMs / 1000) s repair grace): budget checked on stale spend"
                }
            }
        } catch {
            snapshot.note = "spend unavailable (\(String(describing: error).prefix(120)))"
        }
        do {
            snapshot.health = try await modelHealth()
        } catch {
            let text = "model health unavailable (\(String(describing: error).prefix(120)))"
            snapshot.note = snapshot.note.map { $0 + "; " + text } ?? text
        }
        return snapshot
    }
}
