import SwitchyardBilling
import SwitchyardContract
import SwitchyardCore
import SwitchyardJSON
import SwitchyardMetrics

// MARK: - Exactly-once rollups without transactions
//
// Each raw document carries `h` (content hash) and, once rolled up, `a` (the contribution the
// rollups include) with `ah` (the hash it was computed from); `h ≠ ah` means "not yet rolled up".
// Rolling up a set of documents is a *batch* with a random id:
//   1. claim:   the documents get `rb` = batch and `p` = their pending contribution, `ph` = its
//               hash. A new document is claimed by the raw upsert itself (`$setOnInsert`). Claims
//               are billing writes: durable (journaled, majority) once acknowledged.
//   2. buckets: per bucket, `$inc` by Σ(p − a) over the batch, guarded by `{b: {$ne: batch}}` and
//               `$push: {b: batch}`, so a bucket takes a batch at most once (a second try hits the
//               unique `_id` on upsert and is recognised as done). The tenant's month counter in
//               the budget ledger takes the batch's cost the same way.
//   3. finish:  one `updateMany({rb: batch}, {$rename: {p: a, ph: ah}, $unset: {rb, rbAt}})`.
//   4. forget:  once its owner has finished it, no document names the batch any more, so it can
//               never be resumed and buckets no longer need its id: the owner's next step 2
//               `$pull`s it in the same bulk. Only the owner does this — the writer that claimed
//               the batch, within its deadline, which is shorter than the repair grace, so no
//               repair pass can be resuming it — and only after reading that no document is still
//               claimed by it: under `USAGE_WRITE_CONCERN=fast` step 3 is not journaled, and a
//               crash may have undone it, in which case the repair will resume the batch and
//               needs its id to apply it only once. A batch taken over by a repair keeps its id
//               too: two repair passes may resume it at once. Pulls are gathered and sent once 64
//               are pending (one check read per 64 writes). `b` thus holds the batches in flight,
//               up to ~64 finished ones awaiting their pull, and the few that crashes left to the
//               repair; `$slice` caps it at `maxBatchIDsPerBucket` regardless, far below the
//               16 MB document limit.
// A crash after any step leaves the documents claimed; `repairRollups` resumes batches older than
// a grace period (their owner is gone) from step 2, reading every document of the batch, and
// claims documents with `h ≠ ah` that nobody claimed (a change written just before a crash).
// Steps 2 and 3 are billing writes, as durable as the claims. With `{w: 1}` a step is acknowledged
// before it is journaled, and a server that is killed then loses it while the writer goes on: its
// next step reaches the restarted server (or, on a replica set, the new primary) and persists. A
// journal loses only a suffix of one server process's writes, not of the writer's sequence, so a
// lost step 2 under a kept step 3 left a batch released with no bucket holding it — records
// missing from the rollups for good (the crash test found it, docs/usage.md). A duplicate
// delivery changes nothing (see `upsertRaw`); a changed record is rolled up as the delta between
// its new and applied contributions; so counts and sums stay exact.

/// Batch ids to remove from buckets and ledger counters once their batch is finished (step 4).
struct PendingPulls {
    var rollups: [(id: String, batch: String)] = []
    var ledger: [(id: String, batch: String)] = []
    /// Beyond this many, the oldest are forgotten (and left to `$slice`).
    static let limit = 5_000
    /// Pulls wait until this many are pending, so the read that checks their batches are
    /// finished costs one round trip per this many writes, not one per write; a bucket then
    /// holds at most about this many finished ids between two pulls.
    static let threshold = 64

    var isEmpty: Bool { rollups.isEmpty && ledger.isEmpty }

    mutating func add(rollups ids: [String], ledger ledgerIDs: [String], batch: String) {
        rollups += ids.map { ($0, batch) }
        ledger += ledgerIDs.map { ($0, batch) }
        if rollups.count > Self.limit { rollups.removeFirst(rollups.count - Self.limit) }
        if ledger.count > Self.limit { ledger.removeFirst(ledger.count - Self.limit) }
    }
}

/// What a repair pass did.
public struct RollupRepairSummary: Sendable, Hashable, Codable {
    /// Claimed batches whose writer was gone, completed.
    public var batchesResumed = 0
    /// Changed documents nobody had claimed, rolled up.
    public var documentsClaimed = 0
    /// Budget reservations past their time to live, released.
    public var reservationsExpired = 0
    /// False when the deadline stopped the pass early (the next pass continues).
    public var complete = true

    public init() {}
}

extension MongoUsageSink {
    /// Completes the rollup of a raw write: the batch of documents it inserted (whose
    /// contributions are known in memory) and a new batch for the documents it changed.
    /// - Returns: bucket updates applied.
    func rollUpWritten(
        _ documents: [RawDocument], _ outcome: RawOutcome, batch: String, _ session: inout Session
    ) throws(MongoFailure) -> Int {
        var buckets = 0
        if !outcome.inserted.isEmpty {
            var delta = RollupDelta()
            for index in outcome.inserted { try delta.addInStore(documents[index].contribution, sign: 1) }
            buckets += try complete(batch: batch, delta: delta, owned: true, &session)
        }
        if !outcome.modified.isEmpty {
            buckets += try claimAndComplete(ids: outcome.modified.map { documents[$0].id }, &session)
        }
        return buckets
    }

    /// Claims the unclaimed documents among `ids` as a new batch and completes it.
    private func claimAndComplete(ids: [String], _ session: inout Session) throws(MongoFailure) -> Int {
        let batch = Self.newBatchID()
        let (claimed, _) = try session.connection.updateMany(
            UsageCollections.raw,
            filter: ["_id": .object(["$in": .array(ids.map(JSON.string))]), "rb": .object(["$exists": .bool(false)])],
            update: ["$set": .object(["rb": .string(batch), "rbAt": .integer(WallClock.nowMilliseconds())])],
            durability: .billing)
        return claimed == 0 ? 0 : try resume(batch: batch, owned: true, &session)
    }

    /// Completes rollups left unfinished and releases expired budget reservations: resumes every
    /// batch claimed more than `graceMilliseconds` ago (its writer crashed or timed out), then
    /// claims and completes documents whose content is not rolled up (`h ≠ ah`) and that nobody
    /// has claimed. Stops early, incomplete, when the deadline comes near; the next pass goes on.
    /// Use a grace of 0 only when no writer is running (tests, maintenance).
    /// - Parameter recentMilliseconds: look for unclaimed changes only among records at most this
    ///   old (by `timestamp`, through the time index); nil scans the whole collection, which is
    ///   for maintenance runs, not for every scheduled pass.
    public func repairRollups(
        graceMilliseconds: Int64? = nil, recentMilliseconds: Int64? = nil, deadline: ContinuousClock.Instant? = nil
    ) async throws(UsageError) -> RollupRepairSummary {
        let grace = graceMilliseconds ?? configuration.repairGraceMilliseconds
        let reservationTTL = configuration.reservationTTLMilliseconds
        return try await withStore(deadline: deadline) { session throws(MongoFailure) in
            var summary = RollupRepairSummary()
            // Leave room for one more batch's round trips before giving up on this pass.
            func timeLeft() -> Bool { (session.connection.deadline - .now).milliseconds > 1_000 }
            let cutoff = WallClock.nowMilliseconds() - grace
            var seen: Set<String> = []
            scan: while timeLeft() {
                let stale = try session.connection.find(
                    UsageCollections.raw,
                    filter: ["rb": .object(["$exists": .bool(true)]), "rbAt": .object(["$lte": .integer(cutoff)])],
                    options: ["projection": .object(["rb": .integer(1)]), "limit": .integer(1000)])
                let batches = Set(stale.compactMap { $0["rb"]?.stringValue }).subtracting(seen)
                if batches.isEmpty { break }
                for batch in batches.sorted() {
                    guard timeLeft() else { break scan }
                    _ = try self.resume(batch: batch, owned: false, &session)
                    seen.insert(batch)
                    summary.batchesResumed += 1
                }
            }
            var unrolledFilter: JSONObject = [
                "$expr": .object(["$ne": .array([.string("$h"), .string("$ah")])]),
                "rb": .object(["$exists": .bool(false)]),
            ]
            if let recentMilliseconds {
                unrolledFilter["timestamp"] = .object([
                    "$gte": .integer(WallClock.nowMilliseconds() - recentMilliseconds)
                ])
            }
            while timeLeft() {
                let unrolled = try session.connection.find(
                    UsageCollections.raw, filter: unrolledFilter,
                    options: ["projection": .object(["_id": .integer(1)]), "limit": .integer(1000)])
                let ids = unrolled.compactMap { $0["_id"]?.stringValue }
                if ids.isEmpty { break }
                _ = try self.claimAndComplete(ids: ids, &session)
                summary.documentsClaimed += ids.count
            }
            if timeLeft() {
                summary.reservationsExpired = try self.expireReservations(
                    olderThan: WallClock.nowMilliseconds() - reservationTTL, session.connection)
            }
            summary.complete = timeLeft()
            return summary
        }
    }

    /// Steps 1 (where `p` is missing), 2, 3 and, for a batch this writer claimed itself (`owned`),
    /// 4 for one batch, from all of its documents.
    func resume(batch: String, owned: Bool, _ session: inout Session) throws(MongoFailure) -> Int {
        let connection = session.connection
        var documents = try connection.find(UsageCollections.raw, filter: ["rb": .string(batch)])
        var operations: [MongoConnection.UpdateOne] = []
        for (i, document) in documents.enumerated() where document["p"] == nil {
            guard let id = document["_id"]?.stringValue else { continue }
            let pending = Self.contribution(of: document)?.document ?? .null
            let hash = document["h"] ?? .null
            documents[i] = Self.setting(Self.setting(document, "p", pending), "ph", hash)
            operations.append(
                MongoConnection.UpdateOne(
                    filter: ["_id": .string(id), "rb": .string(batch), "p": .object(["$exists": .bool(false)])],
                    update: ["$set": .object(["p": pending, "ph": hash])], upsert: false))
        }
        if !operations.isEmpty {
            let result = try connection.bulkUpdate(UsageCollections.raw, operations, durability: .billing)
            if let failure = result.writeErrors.first {
                throw MongoFailure(
                    domain: 0, code: UInt32(clamping: failure.code), message: "rollup pending: \(failure.message)")
            }
            if result.matched < operations.count {
                // Another process resumed this batch at the same time, or finished it: use what is stored.
                documents = try connection.find(UsageCollections.raw, filter: ["rb": .string(batch)])
            }
        }
        var delta = RollupDelta()
        for document in documents {
            if let applied = RollupContribution(document: document["a"]) { try delta.addInStore(applied, sign: -1) }
            if let pending = RollupContribution(document: document["p"]) { try delta.addInStore(pending, sign: 1) }
        }
        return try complete(batch: batch, delta: delta, owned: owned, &session)
    }

    /// Steps 2, 3 and (for an `owned` batch) 4 for a claimed batch whose delta is known.
    private func complete(batch: String, delta: RollupDelta, owned: Bool, _ session: inout Session)
        throws(MongoFailure) -> Int
    {
        let changes = delta.nonZero
        let pulls = try finishedPulls(&session)
        let bucketIDs = try applyBuckets(changes, batch: batch, pulls: pulls.rollups, session.connection)
        let ledgerIDs = try applyLedger(changes, batch: batch, pulls: pulls.ledger, session.connection)
        try finish(batch: batch, session.connection)
        if owned { session.pendingPulls.add(rollups: bucketIDs, ledger: ledgerIDs, batch: batch) }
        return changes.count
    }

    /// Takes the pending step-4 pulls whose batches are finished (no raw document still names
    /// them); the others are dropped, their ids left for the repair (and for `$slice`).
    private func finishedPulls(_ session: inout Session) throws(MongoFailure) -> PendingPulls {
        let pending = session.pendingPulls.rollups.count + session.pendingPulls.ledger.count
        guard pending >= PendingPulls.threshold else { return PendingPulls() }
        var taken = PendingPulls()
        taken.rollups = Array(session.pendingPulls.rollups.prefix(1000))
        taken.ledger = Array(session.pendingPulls.ledger.prefix(1000))
        session.pendingPulls.rollups.removeFirst(taken.rollups.count)
        session.pendingPulls.ledger.removeFirst(taken.ledger.count)
        let batches = Set(taken.rollups.map(\.batch) + taken.ledger.map(\.batch))
        let unfinished = Set(
            try session.connection.find(
                UsageCollections.raw, filter: ["rb": .object(["$in": .array(batches.sorted().map(JSON.string))])],
                options: ["projection": .object(["rb": .integer(1), "_id": .integer(0)]), "limit": .integer(1000)]
            ).compactMap { $0["rb"]?.stringValue })
        if !unfinished.isEmpty {
            taken.rollups.removeAll { unfinished.contains($0.batch) }
            taken.ledger.removeAll { unfinished.contains($0.batch) }
        }
        return taken
    }

    /// Step 2: one guarded `$inc` per bucket with a non-zero delta — minute buckets and the hour
    /// and day buckets that hold the same sums — and step 4 of earlier batches.
    /// - Returns: the bucket ids updated (for step 4); hour and day ids carry their prefix, which
    ///   also tells `pulls` which collection an id lives in.
    private func applyBuckets(
        _ changes: [BucketChange], batch: String, pulls: [(id: String, batch: String)], _ connection: MongoConnection
    ) throws(MongoFailure) -> [String] {
        var touched: [String] = []
        for granularity in Granularity.allCases {
            let level = granularity == .minute ? changes : try RollupDelta.coarserInStore(changes, granularity)
            var operations = level.map { bucketUpdate($0, granularity: granularity, batch: batch) }
            let increments = operations.count
            operations += pulls.filter { Self.granularity(ofBucket: $0.id) == granularity }.map {
                Self.pull($0.batch, from: $0.id)
            }
            touched += level.map(\.id)
            try guardedIncrements(
                RollupCollections.name(granularity), operations, increments: increments, what: "rollup bucket",
                connection)
        }
        return touched
    }

    /// Runs a bulk whose first `increments` operations are guarded upserts (`{_id, b: {$ne: batch}}`)
    /// and whose rest are pulls. A duplicate-key error on an increment means either "this bucket
    /// already took the batch" or that another writer inserted the bucket between this upsert's
    /// match and its insert (MongoDB retries such an upsert itself only when the filter is all
    /// equalities on the unique key, and `$ne` is not). Once the document exists a second try is
    /// unambiguous: it applies, or fails again because the batch is there. Only a pull may fail
    /// otherwise (it leaves an id for `$slice` to drop).
    private func guardedIncrements(
        _ collection: String, _ operations: [MongoConnection.UpdateOne], increments: Int, what: String,
        _ connection: MongoConnection
    ) throws(MongoFailure) {
        guard !operations.isEmpty else { return }
        let first = try connection.bulkUpdate(collection, operations, durability: .billing)
        let again = try Self.duplicateKeyIncrements(first, increments: increments, what: what).map { operations[$0] }
        guard !again.isEmpty else { return }
        let second = try connection.bulkUpdate(collection, again, durability: .billing)
        _ = try Self.duplicateKeyIncrements(second, increments: again.count, what: what)
    }

    /// The increments among a bulk's first `increments` operations that hit a duplicate key; any
    /// other error of an increment throws.
    private static func duplicateKeyIncrements(_ result: MongoConnection.BulkResult, increments: Int, what: String)
        throws(MongoFailure) -> [Int]
    {
        var duplicates: [Int] = []
        for failure in result.writeErrors where failure.index < increments {
            guard failure.code == 11000 else {
                throw MongoFailure(
                    domain: 0, code: UInt32(clamping: failure.code), message: "\(what): \(failure.message)")
            }
            duplicates.append(failure.index)
        }
        return duplicates
    }

    /// The guarded `$inc` of one bucket (its fields and `lh.<index>` counts).
    private func bucketUpdate(_ change: BucketChange, granularity: Granularity, batch: String)
        -> MongoConnection.UpdateOne
    {
        var increments = JSONObject()
        for (i, value) in change.values.enumerated() where value != 0 {
            increments.members.append((RollupContribution.fields[i], .integer(value)))
        }
        for (index, count) in change.histogram.sorted(by: { $0.key < $1.key }) {
            increments.members.append(("lh.\(index)", .integer(count)))
        }
        for (hour, sums) in change.hours.sorted(by: { $0.key < $1.key }) {
            if sums.count != 0 { increments.members.append(("hc.\(hour)", .integer(sums.count))) }
            if sums.errors != 0 { increments.members.append(("he.\(hour)", .integer(sums.errors))) }
        }
        let key = change.key
        return MongoConnection.UpdateOne(
            filter: ["_id": .string(change.id), "b": .object(["$ne": .string(batch)])],
            update: [
                "$inc": .object(increments), "$push": pushing(batch),
                "$setOnInsert": .object([
                    RollupCollections.startField(granularity): .integer(key.minute), "tenant": .string(key.tenant),
                    "tier": .string(key.tier), "step": .string(key.step), "model": .string(key.model),
                    "backend": .string(key.backend), "errorType": .string(key.errorType),
                ]),
            ], upsert: true)
    }

    /// Which collection a bucket id belongs to (by the prefix of `bucketID(start:granularity:)`).
    static func granularity(ofBucket id: String) -> Granularity {
        id.hasPrefix("h\u{1F}") ? .hour : id.hasPrefix("d\u{1F}") ? .day : .minute
    }

    /// Step 2 for the budget ledger: each tenant-month counter takes the batch's cost delta once.
    /// - Returns: the counter ids updated (for step 4).
    private func applyLedger(
        _ changes: [BucketChange], batch: String,
        pulls: [(id: String, batch: String)], _ connection: MongoConnection
    ) throws(MongoFailure) -> [String] {
        let costIndex = RollupContribution.costTotalIndex
        var months: [String: (tenant: String, month: Int64, cost: Int64)] = [:]
        for change in changes where change.values[costIndex] != 0 {
            let month = UTCCalendar.startOfMonth(epochMilliseconds: change.key.minute)
            let id = Self.ledgerID(tenant: change.key.tenant, month: month)
            let (sum, overflow) = (months[id]?.cost ?? 0).addingReportingOverflow(change.values[costIndex])
            if overflow {
                throw MongoFailure(domain: 0, code: 0, message: "ledger: month cost of \(change.key.tenant) overflows")
            }
            months[id] = (change.key.tenant, month, sum)
        }
        var operations = months.sorted { $0.key < $1.key }.map { id, entry -> MongoConnection.UpdateOne in
            MongoConnection.UpdateOne(
                filter: ["_id": .string(id), "b": .object(["$ne": .string(batch)])],
                update: [
                    "$inc": .object(["spent": .integer(entry.cost), "committed": .integer(entry.cost)]),
                    "$push": pushing(batch),
                    "$setOnInsert": .object(["tenant": .string(entry.tenant), "month": .integer(entry.month)]),
                ], upsert: true)
        }
        let increments = operations.count
        operations += pulls.map { Self.pull($0.batch, from: $0.id) }
        try guardedIncrements(
            UsageCollections.ledger, operations, increments: increments, what: "ledger", connection)
        return months.keys.sorted()
    }

    /// `$push` of a batch id, keeping only the newest `maxBatchIDsPerBucket`.
    private func pushing(_ batch: String) -> JSON {
        .object([
            "b": .object([
                "$each": .array([.string(batch)]), "$slice": .integer(-Int64(configuration.maxBatchIDsPerBucket)),
            ])
        ])
    }

    private static func pull(_ batch: String, from id: String) -> MongoConnection.UpdateOne {
        MongoConnection.UpdateOne(
            filter: ["_id": .string(id)], update: ["$pull": .object(["b": .string(batch)])], upsert: false)
    }

    /// Step 3: the pending contribution becomes the applied one, for every document of the batch.
    private func finish(batch: String, _ connection: MongoConnection) throws(MongoFailure) {
        try connection.updateMany(
            UsageCollections.raw, filter: ["rb": .string(batch)],
            update: [
                "$rename": .object(["p": .string("a"), "ph": .string("ah")]),
                "$unset": .object(["rb": .string(""), "rbAt": .string("")]),
            ], durability: .billing)
    }

    /// The contribution of a stored raw document (nil if it does not decode as a usage record).
    static func contribution(of document: JSON) -> RollupContribution? {
        guard let record = try? JSON.decode(UsageRecord.self, from: document) else { return nil }
        return RollupContribution(record: record)
    }

    static func setting(_ document: JSON, _ key: String, _ value: JSON) -> JSON {
        guard case .object(var object) = document else { return document }
        object[key] = value
        return .object(object)
    }

    static func newBatchID() -> String {
        "\(WallClock.nowMilliseconds())-\(String(UInt64.random(in: 0...UInt64.max), radix: 16))"
    }
}

extension RollupContribution {
    /// Position of `costTotal` in `values`.
    static let costTotalIndex = fields.firstIndex(of: "costTotal")!
}
