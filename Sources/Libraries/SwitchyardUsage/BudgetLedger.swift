import SwitchyardContract

/// Budgets that hold under concurrency (decisions.md): the front door reserves each request's
/// cost ceiling at admission against an atomic per-tenant-month counter, and the reservation is
/// settled when the request's usage lands.
///
/// **Bound.** A reservation is admitted while the month's committed amount (settled spend plus
/// open reservations) is below the budget, and adds the ceiling atomically. So the last admitted
/// request saw committed < budget, and committed stays below budget + one ceiling: a tenant
/// exceeds its budget by at most one request's ceiling (as long as no request costs more than
/// its ceiling), however many requests arrive at once.
///
/// **Spend** reaches the counter through the usage store's exactly-once rollup path (each
/// rollup batch adds its cost to the tenant's month once, crash-safe), not through `settle`:
/// usage of one request can land in several messages, re-deliveries and after a crash, and only
/// that path counts each record exactly once. `settle` therefore only closes the reservation.
public protocol BudgetLedger: Sendable {
    /// Reserves `ceiling` for `requestID` against `tenant`'s budget for the current month.
    /// Idempotent per request: a second call for the same request reserves nothing more.
    /// - Throws: `Usage.StoreUnavailable` (the caller decides whether to admit without a
    ///   reservation), `Usage.StoreRejected`, `Usage.InvalidRecord` for a bad tenant or amount.
    func reserve(
        tenant: String, requestID: String, ceiling: PicoUSD, budget: PicoUSD, deadline: ContinuousClock.Instant
    ) async throws(UsageError) -> Reservation

    /// Reserves several requests' ceilings in one store round trip (group commit), each with its
    /// own answer: the same answers as `reserve` called for each in order, a budget crossed inside
    /// the batch included (requests after the crossing are `overBudget`). The default calls
    /// `reserve` one by one, the reference a batched implementation must equal.
    /// - Throws: as `reserve`; after a throw any of the requests may be reserved (release them).
    func reserveMany(_ requests: [ReservationRequest], deadline: ContinuousClock.Instant) async throws(UsageError)
        -> [Reservation]

    /// Closes the reservations of requests whose usage has been stored (the usage logger calls
    /// it after each write). Requests without an open reservation are skipped.
    /// - Returns: the number of reservations closed.
    func settle(_ requests: [LedgerRequest], deadline: ContinuousClock.Instant) async throws(UsageError) -> Int

    /// Releases the reservation of a request that never ran (rejected or failed before any
    /// billed step). The same as settling it: any usage it did report is counted as spend.
    func release(_ request: LedgerRequest, deadline: ContinuousClock.Instant) async throws(UsageError) -> Bool

    /// The month's counter for `tenant` (the month containing `at`).
    func balance(tenant: String, at: Int64, deadline: ContinuousClock.Instant) async throws(UsageError)
        -> LedgerBalance
}

extension BudgetLedger {
    public func reserveMany(_ requests: [ReservationRequest], deadline: ContinuousClock.Instant)
        async throws(UsageError) -> [Reservation]
    {
        var answers: [Reservation] = []
        answers.reserveCapacity(requests.count)
        for request in requests {
            answers.append(
                try await reserve(
                    tenant: request.tenant, requestID: request.requestID, ceiling: request.ceiling,
                    budget: request.budget, deadline: deadline))
        }
        return answers
    }
}

/// One admission's reservation, as `reserveMany` takes it: `ceiling` for `requestID` against
/// `tenant`'s monthly `budget`.
public struct ReservationRequest: Sendable, Hashable {
    public var tenant: String
    public var requestID: String
    public var ceiling: PicoUSD
    public var budget: PicoUSD

    public init(tenant: String, requestID: String, ceiling: PicoUSD, budget: PicoUSD) {
        self.tenant = tenant
        self.requestID = requestID
        self.ceiling = ceiling
        self.budget = budget
    }
}

/// What `reserve` decided, with the month's committed amount (spend plus open reservations) after it.
public enum Reservation: Sendable, Equatable {
    /// The ceiling is reserved.
    case admitted(committed: PicoUSD)
    /// This request already held a reservation (a client retry): admitted, nothing added.
    case alreadyReserved(committed: PicoUSD)
    /// Committed was at or above the budget: nothing reserved.
    case overBudget(committed: PicoUSD)

    public var isAdmitted: Bool {
        if case .overBudget = self { return false }
        return true
    }
}

/// A request whose reservation is to be closed; `timestamp` (epoch ms, of its usage) finds the
/// month: the reservation is looked for in that month and the one before.
public struct LedgerRequest: Sendable, Hashable {
    public var tenant: String
    public var requestID: String
    public var timestamp: Int64

    public init(tenant: String, requestID: String, timestamp: Int64) {
        self.tenant = tenant
        self.requestID = requestID
        self.timestamp = timestamp
    }
}

/// One tenant's month in the ledger.
public struct LedgerBalance: Sendable, Hashable, Codable {
    public var tenant: String
    /// Start of the month, epoch ms (UTC).
    public var month: Int64
    /// Cost of the usage stored for the month.
    public var spentPicoUSD: Int64
    /// Ceilings of the open reservations.
    public var reservedPicoUSD: Int64
    /// `spent + reserved`: what admission compares with the budget.
    public var committedPicoUSD: Int64
    public var openReservations: Int

    public init(
        tenant: String, month: Int64, spentPicoUSD: Int64 = 0, reservedPicoUSD: Int64 = 0, committedPicoUSD: Int64 = 0,
        openReservations: Int = 0
    ) {
        self.tenant = tenant
        self.month = month
        self.spentPicoUSD = spentPicoUSD
        self.reservedPicoUSD = reservedPicoUSD
        self.committedPicoUSD = committedPicoUSD
        self.openReservations = openReservations
    }
}
