/// What a policy edit would have changed over a range of recorded requests, against what
/// really happened, in total and per tenant and category.
public struct WhatIfResponse: Codable, Sendable, Equatable {
    public struct Totals: Codable, Sendable, Equatable {
        /// Recorded model calls replayed.
        public var calls: Int64
        /// Calls the edited policy sends to another model.
        public var changed: Int64
        /// Calls the edited policy would refuse (over budget, model not allowed…).
        public var rejected: Int64
        /// What the answering calls cost (model part).
        public var actual: Money
        /// What the edited policy's models would have cost for the same tokens and images.
        public var whatIf: Money
        /// whatIf − actual: negative is a saving.
        public var difference: Money
        /// Mean catalog quality for the calls' categories, as routed and as re-routed (rejected
        /// calls count as 0 in the re-routed mean).
        public var actualQuality: Double
        public var whatIfQuality: Double

        public init() {
            calls = 0
            changed = 0
            rejected = 0
            actual = Money(0)
            whatIf = Money(0)
            difference = Money(0)
            actualQuality = 0
            whatIfQuality = 0
        }
    }

    public struct Group: Codable, Sendable, Equatable {
        public var tenant: String
        public var category: String
        public var totals: Totals
        /// Which model calls moved to which, most frequent first.
        public var moves: [Move]
    }

    public struct Move: Codable, Sendable, Equatable {
        public var from: String
        public var to: String
        public var calls: Int64
    }

    public var from: Int64
    public var to: Int64
    public var tenant: String?
    public var tier: String?
    /// One line per edit, as applied.
    public var changes: [String]
    public var totals: Totals
    public var groups: [Group]
    /// Calls that could not be replayed (no category recorded, unknown tenant or model), by reason.
    public var skipped: [String: Int64]
    /// Answered calls read (from raw records or counted in day summaries).
    public var callsRead: Int64
    /// Of `calls`, those decided from settled days' summaries (`WhatIfDaySummary`) rather than
    /// replayed one by one from raw records.
    public var summaryCalls: Int64?
    /// Of `calls`, those replayed one by one from settled days' summaries (their call logs, kept
    /// for tenant-days whose groups the edited policy does not decide alike) rather than from raw
    /// records; the rest of `calls` came from raw records.
    public var logCalls: Int64?
    /// Settled tenant-days replayed from raw records, as `day/tenant records reason` (new, stale,
    /// or undecided without a usable log), at most 20: what makes a range slow.
    public var recordTenantDays: [String]?
    /// How far the what-if cost may be from the one-by-one replay: a summary group moved to another
    /// model is priced once from its sums, so its cost is rounded once instead of per call (at most
    /// half a pico-USD per call). 0 when nothing was priced from sums.
    public var roundingBoundPicoUSD: Int64?
}
