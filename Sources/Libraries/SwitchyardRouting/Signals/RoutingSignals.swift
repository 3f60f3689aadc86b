import SwitchyardContract
import SwitchyardCore

/// Live facts the router weighs against its priors: what a tenant has spent this month and how
/// each model has been behaving recently.
///
/// The router function's MongoDB-backed implementation reads the usage rollups; tests and local
/// runs use `InMemoryRoutingSignals`. Wrap a slow source in `CachedRoutingSignals`, and read both
/// through `snapshot(tenantID:deadline:)`, which bounds them by one deadline.
public protocol RoutingSignals: Sendable {
    /// Month-to-date spend of `tenantID`; nil when the source knows nothing of it.
    func monthToDateSpend(tenantID: String) async throws -> SpendSignal?
    /// Recent health per model; models absent from the map have no live data.
    func modelHealth() async throws -> [ModelID: ModelHealth]
    /// Both figures when the source holds fresh ones in memory (a warm cache), without waiting;
    /// nil when answering would take a fetch. `snapshot` then starts no task and no timer: on a
    /// warm function that is almost every request, and each hop to another thread costs the
    /// request latency (docs/frontdoor.md, the c=1 hand-offs).
    func fresh(tenantID: String) -> (spend: SpendSignal?, health: [ModelID: ModelHealth])?
}

extension RoutingSignals {
    /// Sources without a memory of their own always fetch.
    public func fresh(tenantID: String) -> (spend: SpendSignal?, health: [ModelID: ModelHealth])? { nil }
}

/// A tenant's month-to-date spend as the usage store reports it.
public struct SpendSignal: Sendable, Equatable {
    public var amount: PicoUSD
    /// How much recently stored usage `amount` may be missing, ms; nil when the source does not say.
    public var stalenessMs: Int64?
    /// The store's repair grace: past it, the figure counts as stale (a crashed rollup the repair
    /// has not completed yet). nil when the source does not say.
    public var graceMs: Int64?

    public init(amount: PicoUSD, stalenessMs: Int64? = nil, graceMs: Int64? = nil) {
        self.amount = amount
        self.stalenessMs = stalenessMs
        self.graceMs = graceMs
    }

    public var isStale: Bool {
        guard let stalenessMs, let graceMs else { return false }
        return stalenessMs > graceMs
    }
}

/// Recent behaviour of one model, from usage records.
public struct ModelHealth: Codable, Sendable, Equatable {
    public var p50Ms: Int
    public var p95Ms: Int
    /// Failed calls over all calls in the window, 0...1.
    public var errorRate: Double
    /// Calls the figures are computed from.
    public var samples: Int

    public init(p50Ms: Int, p95Ms: Int, errorRate: Double, samples: Int) {
        self.p50Ms = p50Ms
        self.p95Ms = p95Ms
        self.errorRate = errorRate
        self.samples = samples
    }

    /// The figures within the ranges the estimates assume (latencies up to an hour, a rate in
    /// 0...1); nil for figures no store should produce (negative counts, a rate that is not a number).
    public var checked: ModelHealth? {
        guard samples >= 0, p50Ms >= 0, p95Ms >= 0, errorRate >= 0, errorRate <= 1 else { return nil }
        return ModelHealth(
            p50Ms: min(p50Ms, 3_600_000), p95Ms: min(p95Ms, 3_600_000), errorRate: errorRate, samples: samples)
    }
}

/// The signals one decision uses, fetched before the (synchronous, pure) decision is made.
public struct SignalsSnapshot: Sendable, Equatable {
    /// nil: unknown (the source failed, was too slow, or has no record); the budget check is then
    /// skipped and the decision says so.
    public var monthToDateSpend: PicoUSD?
    /// Age of the spend figure's newest completed rollup, ms, when the source says.
    public var spendStalenessMs: Int64?
    public var health: [ModelID: ModelHealth]
    /// Set when a source failed or was too slow and stale or no data was used.
    public var note: String?

    public init(
        monthToDateSpend: PicoUSD? = nil, spendStalenessMs: Int64? = nil, health: [ModelID: ModelHealth] = [:],
        note: String? = nil
    ) {
        self.monthToDateSpend = monthToDateSpend
        self.spendStalenessMs = spendStalenessMs
        self.health = health
        self.note = note
    }

    public static let none = SignalsSnapshot()
}

extension RoutingSignals {
    /// Fetches spend and health concurrently, both within `deadline`; a source that fails or has
    /// not answered by then yields an empty part and a note, never an error, because routing on
    /// priors beats refusing traffic while the usage store is down (docs/routing.md). A fetch
    /// that outlives the deadline keeps running on its own, so a caching source can still keep
    /// its answer for the next request.
    public func snapshot(tenantID: String, deadline: ContinuousClock.Instant) async -> SignalsSnapshot {
        if let fresh = freshSnapshot(tenantID: tenantID) { return fresh }
        let started = ContinuousClock.now
        async let spendOutcome = DeadlineRace.run(until: deadline) {
            try await self.monthToDateSpend(tenantID: tenantID)
        }
        async let healthOutcome = DeadlineRace.run(until: deadline) { try await self.modelHealth() }
        let (spend, health) = await (spendOutcome, healthOutcome)
        return SignalsSnapshot(
            spend: spend, health: health, waitedMs: (ContinuousClock.now - started).milliseconds)
    }
}

extension RoutingSignals {
    /// `snapshot`'s answer when the source holds both figures fresh in memory, on the caller's
    /// thread; nil when it would fetch. Lets a caller skip starting a task for the snapshot.
    public func freshSnapshot(tenantID: String) -> SignalsSnapshot? {
        guard let fresh = fresh(tenantID: tenantID) else { return nil }
        return SignalsSnapshot(spend: .value(fresh.spend), health: .value(fresh.health), waitedMs: 0)
    }
}

extension SignalsSnapshot {
    /// The snapshot of two fetches' outcomes: what failed or timed out becomes a note.
    init(
        spend: DeadlineRace.Outcome<SpendSignal?>, health: DeadlineRace.Outcome<[ModelID: ModelHealth]>,
        waitedMs: Int64
    ) {
        var snapshot = SignalsSnapshot()
        var notes: [String] = []
        switch spend {
        case .value(let signal?):
            if signal.amount >= .zero {
                snapshot.monthToDateSpend = signal.amount
                snapshot.spendStalenessMs = signal.stalenessMs.map { max(0, $0) }
                if signal.isStale, let staleness = signal.stalenessMs, let grace = signal.graceMs {
                    // A budget check on stale spend is allowed, never silent.
                    notes.append(
                        "spend is \(staleness / 1000) s behind the usage stored (over the \(grace / 1000) s "
                            + "repair grace): budget checked on stale spend")
                }
            } else {
                notes.append("spend unavailable (the source reported a negative amount)")
            }
        case .value(nil): break
        case .failed(let error): notes.append("spend unavailable (\(String(describing: error).prefix(120)))")
        case .timedOut: notes.append("spend unavailable (no answer within \(waitedMs) ms)")
        }
        switch health {
        case .value(let models):
            snapshot.health = models.compactMapValues(\.checked)
        case .failed(let error): notes.append("model health unavailable (\(String(describing: error).prefix(120)))")
        case .timedOut: notes.append("model health unavailable (no answer within \(waitedMs) ms)")
        }
        snapshot.note = notes.isEmpty ? nil : notes.joinedText(separator: "; ")
        self = snapshot
    }
}
