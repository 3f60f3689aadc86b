import CMongoC
import SwitchyardContract
import SwitchyardCore
import SwitchyardJSON
import Synchronization

/// Stores usage records in MongoDB through libmongoc, idempotently, with per-minute rollups.
///
/// Raw records live in `usage`, keyed by `_id` = (requestId, step, invocationId, attempt) (plus a
/// unique index on those fields); rollups in `usage_rollups_minute`. How duplicates and crashes are kept
/// out of the rollups is described in `MongoUsageSink+Rollups.swift`.
///
/// Every public operation runs with bounded retries: a store that cannot be reached after
/// `maxAttempts` gives `Usage.StoreUnavailable`, which the state machine retries with the record
/// still in its input, so nothing is dropped.
public final class MongoUsageSink: UsageSink {
    public let configuration: MongoUsageConfiguration
    private let state: Mutex<State>

    private struct State: @unchecked Sendable {
        // The connection is only touched while the mutex is held.
        var connection: MongoConnection
        var prepared = false
    }

    /// Parses the URI; no I/O happens until the first operation.
    /// - Throws: `ConfigurationError.invalid` for a URI libmongoc rejects.
    public init(configuration: MongoUsageConfiguration) throws(ConfigurationError) {
        self.configuration = configuration
        do {
            let connection = try MongoConnection(
                uri: configuration.uri, database: configuration.database,
                serverSelectionTimeoutMS: Int32(configuration.serverSelectionTimeoutMilliseconds))
            state = Mutex(State(connection: connection))
        } catch {
            throw .invalid(
                variable: "MONGODB_URI", value: "(hidden)", expected: "a MongoDB connection string (\(error.message))")
        }
    }

    // MARK: - Writing

    public func write(_ records: [UsageRecord]) async throws(UsageError) -> UsageWriteSummary {
        try await write(records, rollups: configuration.rollups)
    }

    /// Writes records; `rollups: false` stores raw records only (rollups catch up on the next
    /// `repairRollups`), which the ingest benchmark uses to compare raw write paths.
    public func write(_ records: [UsageRecord], rollups: Bool) async throws(UsageError) -> UsageWriteSummary {
        guard !records.isEmpty else { return UsageWriteSummary() }
        let documents = try rawDocuments(records)
        let unpriced = records.count { !($0.cost?.unpriced.isEmpty ?? true) }
        return try await withStore { connection throws(MongoFailure) in
            let batch = Self.newBatchID()
            let outcome = try self.upsertRaw(documents, claimingNewAs: rollups ? batch : nil, connection)
            var summary = outcome.summary
            summary.unpriced = unpriced
            if rollups {
                summary.rollupBuckets = try self.rollUpWritten(documents, outcome, batch: batch, connection)
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

    private func rawDocuments(_ records: [UsageRecord]) throws(UsageError) -> [RawDocument] {
        var documents: [RawDocument] = []
        documents.reserveCapacity(records.count)
        for (index, record) in records.enumerated() {
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
                    id: record.documentID, fields: fields, hash: fields.contentHash,
                    contribution: RollupContribution(record: record)))
        }
        return documents
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
    /// is rolled up as a delta.
    private func upsertRaw(
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
            let result = try connection.bulkUpdate(UsageCollections.raw, pending.map { operations[$0] })
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
                options: ["projection": .object(["h": .integer(1)])])
            var storedHash: [String: Int64] = [:]
            for document in stored {
                if let id = document["_id"]?.stringValue, let h = document["h"]?.int64Value { storedHash[id] = h }
            }
            pending = []
            for index in conflicted {
                if storedHash[documents[index].id] == documents[index].hash || round == 2 {
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

    /// Connects and creates the indexes now rather than on the first write (a warm-up, e.g.
    /// before timing a benchmark). With retries, like every operation.
    public func prepare() async throws(UsageError) {
        try await withStore { connection throws(MongoFailure) in
            try connection.command(["ping": .integer(1)])
        }
    }

    // MARK: - Store access with retries

    /// Runs `body` with the connection, preparing indexes once; retries when the store is
    /// unreachable (dropping the client so the next attempt reconnects), with doubling backoff.
    func withStore<T: Sendable>(_ body: (MongoConnection) throws(MongoFailure) -> T) async throws(UsageError) -> T {
        var delay = configuration.backoffMilliseconds
        var attempt = 0
        while true {
            attempt += 1
            let outcome: Result<T, MongoFailure> = state.withLock { state in
                do throws(MongoFailure) {
                    if !state.prepared {
                        try self.prepare(state.connection)
                        state.prepared = true
                    }
                    return .success(try body(state.connection))
                } catch {
                    if error.isUnavailable { state.connection.dropClient() }
                    return .failure(error)
                }
            }
            switch outcome {
            case .success(let value):
                return value
            case .failure(let failure):
                guard failure.isUnavailable else { throw .storeRejected(detail: failure.description) }
                guard attempt < configuration.maxAttempts else {
                    throw .storeUnavailable(attempts: attempt, detail: failure.description)
                }
                try? await Task.sleep(for: .milliseconds(delay))
                delay = min(delay * 2, 10_000)
            }
        }
    }
}
