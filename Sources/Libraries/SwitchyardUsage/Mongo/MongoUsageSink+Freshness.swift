import SwitchyardCore
import SwitchyardJSON

/// How current the rollups (and the ledger's spend, updated in the same batches) are.
///
/// Every stored record is in the rollups, except those of rollup batches still claimed: in flight
/// for a few milliseconds normally, or left by a crash until the repair pass completes them. So
/// the rollups include everything stored before the oldest open claim (`rolledUpThrough`).
public struct RollupFreshness: Sendable, Hashable, Codable {
    /// When the oldest claimed, unfinished rollup batch was claimed (epoch ms); nil when none.
    public var oldestClaimMilliseconds: Int64?
    /// Records stored before this instant (epoch ms) are all in the rollups.
    public var rolledUpThroughMilliseconds: Int64
    /// Start of the newest minute whose rollups are complete (it ended at or before
    /// `rolledUpThroughMilliseconds`).
    public var newestCompleteMinute: Int64
    /// `now − rolledUpThrough`: how much recent spend the rollups may be missing, ms.
    public var stalenessMilliseconds: Int64
    /// Past this, the rollups count as stale (the repair grace period).
    public var graceMilliseconds: Int64

    public var isStale: Bool { stalenessMilliseconds > graceMilliseconds }
}

extension MongoUsageSink {
    /// How old the newest complete rollup data is. One indexed query (claimed documents only).
    public func rollupFreshness(now: Int64 = WallClock.nowMilliseconds(), deadline: ContinuousClock.Instant? = nil)
        async throws(UsageError) -> RollupFreshness
    {
        let oldest = try await withStore(deadline: deadline) { session throws(MongoFailure) in
            try session.connection.find(
                UsageCollections.raw, filter: ["rb": .object(["$exists": .bool(true)])],
                options: [
                    "projection": .object(["rbAt": .integer(1)]), "sort": .object(["rbAt": .integer(1)]),
                    "limit": .integer(1),
                ]
            ).first?["rbAt"]?.int64Value
        }
        let through = min(now, oldest ?? now)
        return RollupFreshness(
            oldestClaimMilliseconds: oldest, rolledUpThroughMilliseconds: through,
            newestCompleteMinute: RollupContribution.minute(of: through) - 60_000,
            stalenessMilliseconds: max(0, now - through), graceMilliseconds: configuration.repairGraceMilliseconds)
    }
}
