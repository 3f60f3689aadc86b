import CMongoC
import Logging
import SwitchyardContract
import SwitchyardCore
import SwitchyardJSON
import Synchronization

/// Stores usage records in MongoDB through libmongoc, idempotently and durably, with per-minute
/// rollups and the per-tenant budget ledger.
///
/// Raw records live in `usage`, keyed by `_id` = (requestId, step, invocationId, attempt) (plus a
/// unique index on those fields); rollups in `usage_rollups_minute`; month counters in
/// `usage_budget_ledger`. How duplicates and crashes are kept out of the rollups is described in
/// `MongoUsageSink+Rollups.swift`; the ledger in `MongoUsageSink+Ledger.swift`.
///
/// **Durability.** Raw records and every rollup step are written with `configuration.writeConcern`
/// (journaled, majority on replica sets, by default): when `write` returns, the records and
/// whatever of their rollup was done survive a crash of the database; the durable claims of the
/// rest are completed by the repair pass.
///
/// **Deadlines.** Every public operation takes a deadline (the invocation's): attempts, backoff,
/// server selection, socket and `wtimeout` all fit inside it, and an operation that runs out of
/// time gives `Usage.StoreUnavailable` before the deadline, never after.
public final class MongoUsageSink: UsageSink {
    public let configuration: MongoUsageConfiguration
    private let state: Mutex<Session>
    let logger: Logger

    /// What one operation holds while it runs: the connection and the batch ids to drop from
    /// buckets once their batch is finished (see `MongoUsageSink+Rollups.swift`).
    struct Session: @unchecked Sendable {
        // Only touched while the mutex is held.
        var connection: MongoConnection
        /// What the first operation's `prepare` found; nil until then.
        var indexCheck: IndexCheck?
        var pendingPulls = PendingPulls()
    }

    /// Parses the URI; no I/O happens until the first operation.
    /// - Parameter logger: where the resolved write concern is logged on first connection.
    /// - Throws: `ConfigurationError.invalid` for a URI libmongoc rejects.
    public init(configuration: MongoUsageConfiguration, logger: Logger = Logger(label: "switchyard.usage"))
        throws(ConfigurationError)
    {
        self.configuration = configuration
        self.logger = logger
        state = Mutex(Session(connection: try MongoConnection.open(configuration)))
    }

    // MARK: - Writing

    public func write(_ records: [UsageRecord], deadline: ContinuousClock.Instant) async throws(UsageError)
        -> UsageWriteSummary
    {
        try await write(records, rollups: configuration.rollups, deadline: deadline)
    }

    /// Writes records; `rollups: false` stores raw records only (rollups catch up on the next
    /// `repairRollups`), which the ingest benchmark uses to compare raw write paths.
    /// - Parameter deadline: nil bounds the call by `operationTimeoutMilliseconds`.
    public func write(_ records: [UsageRecord], rollups: Bool, deadline: ContinuousClock.Instant? = nil)
        async throws(UsageError) -> UsageWriteSummary
    {
        try await write(records, rollups: rollups, batch: nil, deadline: deadline)
    }

    /// - Parameter batch: the rollup batch id (tests name it to replay a retry); nil draws a new
    ///   one for each attempt.
    func write(_ records: [UsageRecord], rollups: Bool, batch named: String?, deadline: ContinuousClock.Instant?)
        async throws(UsageError) -> UsageWriteSummary
    {
        guard !records.isEmpty else { return UsageWriteSummary() }
        let documents = try rawDocuments(records)
        let unpriced = records.count { !($0.cost?.unpriced.isEmpty ?? true) }
        return try await withStore(deadline: deadline) { session throws(MongoFailure) in
            let batch = named ?? Self.newBatchID()
            let outcome = try self.upsertRaw(documents, claimingNewAs: rollups ? batch : nil, session.connection)
            var summary = outcome.summary
            summary.unpriced = unpriced
            if rollups {
                summary.rollupBuckets = try self.rollUpWritten(documents, outcome, batch: batch, &session)
            }
            return summary
        }
    }

    struct RawDocument {
        var id: String
        var fields: BSONDocument
        var hash: Int64
        var contribution: RollupContribution
    }

    func rawDocuments(_ records: [UsageRecord]) throws(UsageError) -> [RawDocument] {
        var documents: [RawDocument] = []
        documents.reserveCapacity(records.count)
        for (index, record) in records.enumerated() {
            // Checked here too, not only by the logger's validation: every writer of the store
            // (tools, the single-process server) gets unambiguous keys.
            let id = try record.storageKey(index: index)
            let fields: BSONDocument
            do { fields = try record.documentFields() } catch {
                if case .invalidRecord(_, let detail) = error { throw .invalidRecord(index: index, detail: detail) }
                throw error
            }
            guard fields.byteCount <= configuration.maxDocumentBytes else {
                throw .recordTooLarge(index: index, bytes: fields.byteCount, limit: configuration.maxDocumentBytes)
            }
            documents.append(
                RawDocument(
                    id: id, fields: fields, hash: fields.contentHash, contribution: RollupContribution(record: record)))
        }
        return documents
    }

    /// Each key's first position in `documents`: a key repeated within one call is inserted by its
    /// first occurrence only, so a later one that finds the call's own insert is a duplicate.
    static func firstIndexByKey(_ documents: [RawDocument]) -> [String: Int] {
        Dictionary(documents.indices.map { (documents[$0].id, $0) }, uniquingKeysWith: min)
    }

    /// Which documents a raw upsert inserted, changed, or found identical.
    struct RawOutcome {
        var summary: UsageWriteSummary
        var inserted: Set<Int>
        var modified: [Int]
    }

    /// Upserts raw documents: `$set` the record fields and content hash `h`.
    ///
    /// The filter `{_id, h: {$ne: hash}}` makes an identical re-delivery fail with a duplicate-key
    /// error instead of rewriting the document, so it is recognised without a read and changes
    /// nothing. A newly inserted document is also claimed for rollup in the same write
    /// (`$setOnInsert` of its pending contribution `p`, `ph` and batch `rb`), which saves a round
    /// trip on the common path; a changed document keeps its applied contribution `a`/`ah` and
    /// is rolled up as a delta. Billing durability: acknowledged means journaled (and majority).
    ///
    /// A duplicate already claimed by `batch` was inserted by this very write: the same statement
    /// ran twice (the driver retries a retryable write once after a network error, and a server
    /// that restarted has forgotten the first run). It counts as inserted, so its contribution is
    /// applied before step 3 releases it; counted as a duplicate, step 3 would release it with no
    /// bucket ever taking it (the crash test lost 4 records of one batch that way).
    func upsertRaw(
        _ documents: [RawDocument], claimingNewAs batch: String?, _ connection: MongoConnection
    ) throws(MongoFailure) -> RawOutcome {
        let now = WallClock.nowMilliseconds()
        let operations = documents.map { document -> MongoConnection.UpdateOne in
            let set = BSONDocument()
            withExtendedLifetime(document.fields) { _ = bson_concat(set.pointer, document.fields.pointer) }
            set.append("h", .integer(document.hash))
            let update = BSONDocument()
            update.appendDocument("$set", set)
            if let batch {
                update.append(
                    "$setOnInsert",
                    .object([
                        "p": document.contribution.document, "ph": .integer(document.hash), "rb": .string(batch),
                        "rbAt": .integer(now),
                    ]))
            }
            return MongoConnection.UpdateOne(
                filter: ["_id": .string(document.id), "h": .object(["$ne": .integer(document.hash)])], update: update,
                upsert: true)
        }
        // A duplicate-key error means "same content already stored" — unless two different
        // versions of a new key raced to insert it. Those few are checked and written again.
        var pending = Array(documents.indices)
        var inserted: Set<Int> = []
        var duplicates: Set<Int> = []
        for round in 0..<3 {
            let result = try connection.bulkUpdate(
                UsageCollections.raw, pending.map { operations[$0] }, durability: .billing)
            var conflicted: [Int] = []
            for error in result.writeErrors {
                guard error.code == 11000, pending.indices.contains(error.index) else {
                    throw MongoFailure(
                        domain: 0, code: UInt32(clamping: error.code), message: "usage write: \(error.message)")
                }
                conflicted.append(pending[error.index])
            }
            for position in result.upsertedIndices where pending.indices.contains(position) {
                inserted.insert(pending[position])
            }
            if conflicted.isEmpty { break }
            let stored = try connection.find(
                UsageCollections.raw,
                filter: ["_id": .object(["$in": .array(conflicted.map { .string(documents[$0].id) })])],
                options: ["projection": .object(["h": .integer(1), "rb": .integer(1)])])
            var storedHash: [String: Int64] = [:]
            var ours: Set<String> = []
            for document in stored {
                guard let id = document["_id"]?.stringValue else { continue }
                if let h = document["h"]?.int64Value { storedHash[id] = h }
                if let batch, document["rb"]?.stringValue == batch { ours.insert(id) }
            }
            if !ours.isEmpty {
                logger.notice(
                    "usage write found documents its own batch had claimed: its statement ran twice",
                    metadata: ["switchyard.documents": "\(ours.count)", "switchyard.batch": "\(batch ?? "")"])
            }
            let first = ours.isEmpty ? [:] : Self.firstIndexByKey(documents)
            pending = []
            for index in conflicted {
                if ours.contains(documents[index].id), first[documents[index].id] == index {
                    inserted.insert(index)
                } else if storedHash[documents[index].id] == documents[index].hash || round == 2 {
                    duplicates.insert(index)
                } else {
                    pending.append(index)
                }
            }
            if pending.isEmpty { break }
        }
        let modified = documents.indices.filter { !inserted.contains($0) && !duplicates.contains($0) }
        return RawOutcome(
            summary: UsageWriteSummary(inserted: inserted.count, updated: modified.count, duplicates: duplicates.count),
            inserted: inserted, modified: modified)
    }

    /// Connects and checks the indexes (creating any that are missing) now rather than on the first
    /// write (a warm-up, e.g. before timing a benchmark), then pings. With retries, like every operation.
    public func prepare(deadline: ContinuousClock.Instant? = nil) async throws(UsageError) {
        _ = try await withStore(deadline: deadline) { session throws(MongoFailure) in
            try session.connection.command(["ping": .integer(1)])
        }
    }

    /// Creates every index (idempotent): what a deployment runs once (`usage-ingest indexes`), so
    /// that the functions' first operation only checks them.
    public func ensureIndexes(deadline: ContinuousClock.Instant? = nil) async throws(UsageError) {
        try await withStore(deadline: deadline) { session throws(MongoFailure) in
            try self.ensureIndexes(session.connection)
        }
    }

    /// What this process's first operation found of the indexes; nil before it.
    public func indexCheck() -> IndexCheck? { state.withLock { $0.indexCheck } }

    /// The write concern documents in force once connected (`durable` depends on the topology).
    public func resolvedWriteConcern() -> String { state.withLock { $0.connection.concernSummary } }

    // MARK: - Store access with retries

    /// Runs `body` with the session, preparing the store once (topology, index check); retries when
    /// the store is unreachable (dropping the client so the next attempt reconnects), with
    /// doubling backoff — all within `deadline`.
    /// - Parameter deadline: nil means `operationTimeoutMilliseconds` from now.
    func withStore<T: Sendable>(
        deadline: ContinuousClock.Instant?, _ body: (inout Session) throws(MongoFailure) -> T
    ) async throws(UsageError) -> T {
        let deadline = deadline ?? .now + .milliseconds(configuration.operationTimeoutMilliseconds)
        var delay = configuration.backoffMilliseconds
        var attempt = 0
        var last: MongoFailure?
        while true {
            // Below this there is no point in starting: a round trip alone takes longer.
            guard (deadline - .now).milliseconds >= 20 else {
                throw .storeUnavailable(
                    attempts: attempt, detail: "deadline reached" + (last.map { "; last error: \($0)" } ?? ""))
            }
            attempt += 1
            let outcome: Result<T, MongoFailure> = state.withLock { session in
                session.connection.fit(deadline: deadline)
                do throws(MongoFailure) {
                    if session.indexCheck == nil {
                        let check = try self.prepare(session.connection)
                        session.indexCheck = check
                        self.logger.log(
                            level: check == .verified ? .info : .notice, "usage store ready",
                            metadata: [
                                "switchyard.write_concern": "\(session.connection.concernSummary)",
                                "switchyard.indexes": "\(check == .verified ? "verified" : "created")",
                            ])
                    }
                    return .success(try body(&session))
                } catch {
                    if error.isUnavailable && !error.isDeadline { session.connection.dropClient() }
                    return .failure(error)
                }
            }
            switch outcome {
            case .success(let value):
                return value
            case .failure(let failure):
                guard failure.isUnavailable else { throw .storeRejected(detail: failure.description) }
                last = failure
                let left = (deadline - .now).milliseconds
                guard attempt < configuration.maxAttempts, !failure.isDeadline, left > Int64(delay) + 20 else {
                    throw .storeUnavailable(attempts: attempt, detail: failure.description)
                }
                try? await Task.sleep(for: .milliseconds(delay))
                delay = min(delay * 2, 10_000)
            }
        }
    }
}
