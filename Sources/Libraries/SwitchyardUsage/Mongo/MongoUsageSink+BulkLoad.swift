import CMongoC
import SwitchyardBilling
import SwitchyardContract
import SwitchyardCore
import SwitchyardJSON
import SwitchyardMetrics

/// Fills an empty usage store with many records at insert speed, for load tests and screenshots
/// (`switchyard-seed month --bulk`): raw documents are inserted already rolled up (`a` = their
/// contribution, `ah` = their hash), and the minute, hour and day buckets and the ledger's month
/// spend are written once per bucket from the same contributions the write path adds
/// (`RollupDelta`), so the store ends exactly as if every record had gone through `write` (raw
/// documents loaded through the store also carry `lm`, the mark of the call that inserted them).
///
/// Why a second path: the write path upserts each raw record and `$inc`s each bucket under a
/// guard, which is what makes concurrent, repeated and crashed writes count once; on an empty
/// store with one writer none of that can happen, and plain inserts are ~10× faster on
/// SecantusDB. Records must come in time order (a day's buckets are written when the next day
/// starts); the store must hold no usage when loading starts.
///
/// The secondary indexes are dropped when loading starts and built once by `finish`: SecantusDB
/// pays ~1.5 ms per index entry on insert against ~0.4 ms when it builds an index over what is
/// there (measured here, 10,000 records, 13 indexes: 196 s inserting into them, 56 s inserting
/// then building), and the raw collection has eleven. Until `finish` returns, reads are unindexed.
///
/// `init(sink:dumpDirectory:)` writes the same documents, upserts and index list to files instead
/// (`BulkLoadFiles`), for `scripts/lib/secantus_load.py` to put into a SecantusDB storage
/// directory in-process: the wire protocol and the server's one Python thread are what limit the
/// store path to ~60–300 records/s here.
public struct UsageBulkLoader {
    let sink: MongoUsageSink
    private let files: BulkLoadFiles?
    private var delta = RollupDelta()
    private var day: Int64?
    private var ledger: [String: (tenant: String, month: Int64, cost: Int64)] = [:]
    public private(set) var inserted = 0
    public private(set) var duplicates = 0
    public private(set) var buckets = 0
    /// How long `finish` took to build the indexes.
    public private(set) var indexBuild: Duration = .zero

    /// - Throws: `Usage.InvalidRecord` when the store already holds usage.
    public init(sink: MongoUsageSink, deadline: ContinuousClock.Instant? = nil) async throws(UsageError) {
        self.sink = sink
        files = nil
        let existing = try await sink.withStore(deadline: deadline) { session throws(MongoFailure) in
            try session.connection.find(UsageCollections.raw, filter: [:], options: ["limit": .integer(1)]).count
                + session.connection.find(UsageCollections.rollups, filter: [:], options: ["limit": .integer(1)]).count
        }
        guard existing == 0 else {
            throw .invalidRecord(index: -1, detail: "bulk load needs an empty usage store (use write for the rest)")
        }
        try await sink.withStore(deadline: deadline) { session throws(MongoFailure) in
            try sink.dropSecondaryIndexes(session.connection)
        }
    }

    /// A loader that writes to files in `dumpDirectory` (an existing, empty directory) and never
    /// connects to the store.
    /// - Throws: `Usage.QueueUnavailable` when the directory is not empty or not writable.
    public init(sink: MongoUsageSink, dumpDirectory: String) throws(UsageError) {
        self.sink = sink
        files = try BulkLoadFiles(directory: dumpDirectory, indexes: sink.indexSpecifications())
    }

    /// Inserts priced, validated records (in time order) and adds them to the pending buckets.
    /// - Throws: `Usage.InvalidRecord` for a record older than the day already written.
    public mutating func add(_ records: [UsageRecord], deadline: ContinuousClock.Instant? = nil)
        async throws(UsageError)
    {
        guard !records.isEmpty else { return }
        let documents = try sink.rawDocuments(records)
        // Marks this call's inserts through the store: a document that a retry of the insert (the
        // driver's, or `withStore`'s) finds already there, with this mark, was inserted by its
        // first run and counts; without it, it is a duplicate in the input. Files are not retried.
        let mark = Int64.random(in: 1...Int64.max)
        let bson = documents.map { document -> BSONDocument in
            let insert = BSONDocument()
            insert.append("_id", .string(document.id))
            withExtendedLifetime(document.fields) { _ = bson_concat(insert.pointer, document.fields.pointer) }
            insert.append("h", .integer(document.hash))
            insert.append("a", document.contribution.document)
            insert.append("ah", .integer(document.hash))
            if files == nil { insert.append("lm", .integer(mark)) }
            return insert
        }
        let result: MongoConnection.BulkResult
        var ours: Set<String> = []
        if let files {
            try files.insert(UsageCollections.raw, bson)
            result = MongoConnection.BulkResult()
        } else {
            (result, ours) = try await sink.withStore(deadline: deadline) { session throws(MongoFailure) in
                let result = try session.connection.bulkInsert(UsageCollections.raw, bson, durability: .billing)
                let conflicted = result.writeErrors.filter { $0.code == 11000 && documents.indices.contains($0.index) }
                    .map { JSON.string(documents[$0.index].id) }
                guard !conflicted.isEmpty else { return (result, []) }
                let found = try session.connection.find(
                    UsageCollections.raw, filter: ["_id": .object(["$in": .array(conflicted)]), "lm": .integer(mark)],
                    options: ["projection": .object(["_id": .integer(1)])])
                return (result, Set(found.compactMap { $0["_id"]?.stringValue }))
            }
        }
        var skipped: Set<Int> = []
        for failure in result.writeErrors {
            guard failure.code == 11000 else {
                throw .storeRejected(detail: "bulk insert: \(failure.message.prefix(300))")
            }
            skipped.insert(failure.index)
        }
        // A conflict with this call's own mark is its first run's insert.
        if !ours.isEmpty {
            let first = MongoUsageSink.firstIndexByKey(documents)
            skipped = skipped.filter { !(ours.contains(documents[$0].id) && first[documents[$0].id] == $0) }
        }
        duplicates += skipped.count
        inserted += documents.count - skipped.count
        for (index, document) in documents.enumerated() where !skipped.contains(index) {
            let recordDay = Granularity.day.floor(document.contribution.minute)
            if let day, recordDay < day {
                throw .invalidRecord(index: index, detail: "bulk load needs records in time order")
            }
            if let day, recordDay > day { try await flushDay(deadline: deadline) }
            day = recordDay
            try delta.add(document.contribution, sign: 1)
        }
    }

    /// Writes the buckets still pending and the ledger's month spend, then builds the indexes.
    public mutating func finish(deadline: ContinuousClock.Instant? = nil) async throws(UsageError) {
        try await flushDay(deadline: deadline)
        let operations = ledger.sorted { $0.key < $1.key }.map { id, entry in
            MongoConnection.UpdateOne(
                filter: ["_id": .string(id)],
                update: [
                    "$inc": .object(["spent": .integer(entry.cost), "committed": .integer(entry.cost)]),
                    "$setOnInsert": .object([
                        "tenant": .string(entry.tenant), "month": .integer(entry.month), "b": .array([]),
                    ]),
                ], upsert: true)
        }
        ledger = [:]
        if let files {
            try files.upsert(UsageCollections.ledger, operations)
            try files.sync()
            return
        }
        _ = try await sink.withStore(deadline: deadline) { session throws(MongoFailure) in
            try session.connection.bulkUpdate(UsageCollections.ledger, operations, durability: .billing)
        }
        let started = ContinuousClock.now
        try await sink.withStore(deadline: deadline) { session throws(MongoFailure) in
            try sink.createIndexesOneByOne(session.connection)
        }
        indexBuild = .now - started
    }

    /// Inserts the minute, hour and day buckets of the pending day.
    private mutating func flushDay(deadline: ContinuousClock.Instant?) async throws(UsageError) {
        let changes = delta.nonZero
        delta = RollupDelta()
        guard !changes.isEmpty else { return }
        let costIndex = RollupContribution.costTotalIndex
        for change in changes where change.values[costIndex] != 0 {
            let month = UTCCalendar.startOfMonth(epochMilliseconds: change.key.minute)
            let id = MongoUsageSink.ledgerID(tenant: change.key.tenant, month: month)
            var entry = ledger[id] ?? (change.key.tenant, month, 0)
            let (sum, overflow) = entry.cost.addingReportingOverflow(change.values[costIndex])
            if overflow { throw .invalidRecord(index: -1, detail: "month cost of \(change.key.tenant) overflows") }
            entry.cost = sum
            ledger[id] = entry
        }
        for granularity in Granularity.allCases {
            let level = granularity == .minute ? changes : try RollupDelta.coarser(changes, granularity)
            let documents = level.map { change -> BSONDocument in
                var document = MongoUsageSink.bucketDocument(change, granularity: granularity)
                document.members.insert(("_id", .string(change.id)), at: 0)
                return BSONDocument(document)
            }
            buckets += documents.count
            if let files {
                try files.insert(RollupCollections.name(granularity), documents)
                continue
            }
            let result = try await sink.withStore(deadline: deadline) { session throws(MongoFailure) in
                try session.connection.bulkInsert(RollupCollections.name(granularity), documents, durability: .relaxed)
            }
            // Each bucket is inserted by this day's flush only (the store started empty, records
            // come in time order), so one that exists is this insert's first run, retried.
            if let failure = result.writeErrors.first(where: { $0.code != 11000 }) {
                throw .storeRejected(detail: "bulk buckets: \(failure.message.prefix(300))")
            }
        }
    }
}
