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
    /// Set when a source failed and stale or no data was used.
    public var note: String?

    public init(monthToDateSpendMicroUSD: Int64? = nil, health: [String: ModelHealth] = [:], note: String? = nil) {
        self.monthToDateSpendMicroUSD = monthToDateSpendMicroUSD
        self.health = health
        self.note = note
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
