import SwitchyardContract

/// Where usage records go. Writes are idempotent on the record key (requestID, step,
/// invocationID, attempt).
public protocol UsageSink: Sendable {
    /// Stores priced records (insert or replace by key) and brings rollups up to date. When it
    /// returns, the records are stored as durably as the sink's write concern promises.
    /// - Parameter deadline: the call gives up (with `Usage.StoreUnavailable`) before this instant.
    /// - Throws: `UsageError.storeUnavailable` when the store cannot be reached in time,
    ///   `UsageError.storeRejected` for any other store error, `UsageError.invalidRecord` for a
    ///   record whose key cannot be stored unambiguously.
    func write(_ records: [UsageRecord], deadline: ContinuousClock.Instant) async throws(UsageError)
        -> UsageWriteSummary
}

/// What a write did.
public struct UsageWriteSummary: Sendable, Hashable, Codable {
    /// Records stored for the first time.
    public var inserted: Int
    /// Records whose stored content changed (a later delivery of the same key).
    public var updated: Int
    /// Identical re-deliveries: nothing stored, nothing counted.
    public var duplicates: Int
    /// Records whose cost is flagged unpriced.
    public var unpriced: Int
    /// Rollup buckets updated.
    public var rollupBuckets: Int

    public init(inserted: Int = 0, updated: Int = 0, duplicates: Int = 0, unpriced: Int = 0, rollupBuckets: Int = 0) {
        self.inserted = inserted
        self.updated = updated
        self.duplicates = duplicates
        self.unpriced = unpriced
        self.rollupBuckets = rollupBuckets
    }

    /// The sum of two summaries.
    public static func + (lhs: UsageWriteSummary, rhs: UsageWriteSummary) -> UsageWriteSummary {
        UsageWriteSummary(
            inserted: lhs.inserted + rhs.inserted, updated: lhs.updated + rhs.updated,
            duplicates: lhs.duplicates + rhs.duplicates, unpriced: lhs.unpriced + rhs.unpriced,
            rollupBuckets: lhs.rollupBuckets + rhs.rollupBuckets)
    }
}
